// A small JSON reader for the C++ tests (the scenario list, hostile_server.py's
// control lines): values, a parser with \u escapes (surrogate pairs to UTF-8),
// and compact output for the sandbox's configuration. Not for untrusted input.
#ifndef ETNA_TEST_JSON_HPP
#define ETNA_TEST_JSON_HPP

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace json {

struct Value {
    enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
    bool boolean = false;
    double number = 0;
    std::string string;
    std::vector<Value> array;
    std::vector<std::pair<std::string, Value>> object;  // in the file's order

    bool is_null() const { return kind == Null; }
    bool has(const std::string &key) const { return find(key) != nullptr; }
    const Value *find(const std::string &key) const {
        for (const auto &kv : object) {
            if (kv.first == key) {
                return &kv.second;
            }
        }
        return nullptr;
    }
    // The member `key`, or null when absent.
    const Value &operator[](const std::string &key) const {
        static const Value null;
        const Value *v = find(key);
        return v ? *v : null;
    }
    const std::string &str() const {
        if (kind != String) throw std::runtime_error("json: not a string");
        return string;
    }
    long long integer() const {
        if (kind != Number) throw std::runtime_error("json: not a number");
        return static_cast<long long>(number);
    }
    long long integer_or(long long fallback) const { return kind == Number ? integer() : fallback; }
    std::string str_or(const std::string &fallback) const { return kind == String ? string : fallback; }

    // Compact JSON, as a configuration is passed to etna_sandbox_start().
    std::string dump() const {
        switch (kind) {
        case Null: return "null";
        case Bool: return boolean ? "true" : "false";
        case Number: {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.17g", number);
            return buf;
        }
        case String: return quote(string);
        case Array: {
            std::string out = "[";
            for (std::size_t i = 0; i < array.size(); ++i) out += (i ? "," : "") + array[i].dump();
            return out + "]";
        }
        case Object: {
            std::string out = "{";
            for (std::size_t i = 0; i < object.size(); ++i)
                out += (i ? "," : "") + quote(object[i].first) + ":" + object[i].second.dump();
            return out + "}";
        }
        }
        return "null";
    }

    static std::string quote(const std::string &s) {
        std::string out = "\"";
        for (unsigned char c : s) {
            if (c == '"' || c == '\\') {
                out += '\\';
                out += static_cast<char>(c);
            } else if (c < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out += static_cast<char>(c);
            }
        }
        return out + "\"";
    }
};

class Parser {
public:
    explicit Parser(const std::string &text) : s_(text) {}

    Value parse() {
        Value v = value();
        space();
        if (i_ != s_.size()) fail("trailing characters");
        return v;
    }

private:
    [[noreturn]] void fail(const char *what) const {
        throw std::runtime_error(std::string("json: ") + what + " at byte " + std::to_string(i_));
    }
    void space() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
    }
    bool take(const char *word) {
        std::size_t n = std::char_traits<char>::length(word);
        if (s_.compare(i_, n, word) != 0) return false;
        i_ += n;
        return true;
    }
    Value value() {
        space();
        if (i_ >= s_.size()) fail("unexpected end");
        Value v;
        char c = s_[i_];
        if (c == '{') {
            v.kind = Value::Object;
            ++i_;
            space();
            if (i_ < s_.size() && s_[i_] == '}') { ++i_; return v; }
            for (;;) {
                space();
                if (i_ >= s_.size() || s_[i_] != '"') fail("expected a key");
                std::string key = string();
                space();
                if (i_ >= s_.size() || s_[i_++] != ':') fail("expected ':'");
                v.object.emplace_back(std::move(key), value());
                space();
                if (i_ < s_.size() && s_[i_] == ',') { ++i_; continue; }
                if (i_ < s_.size() && s_[i_] == '}') { ++i_; return v; }
                fail("expected ',' or '}'");
            }
        }
        if (c == '[') {
            v.kind = Value::Array;
            ++i_;
            space();
            if (i_ < s_.size() && s_[i_] == ']') { ++i_; return v; }
            for (;;) {
                v.array.push_back(value());
                space();
                if (i_ < s_.size() && s_[i_] == ',') { ++i_; continue; }
                if (i_ < s_.size() && s_[i_] == ']') { ++i_; return v; }
                fail("expected ',' or ']'");
            }
        }
        if (c == '"') {
            v.kind = Value::String;
            v.string = string();
            return v;
        }
        if (take("null")) return v;
        if (take("true")) { v.kind = Value::Bool; v.boolean = true; return v; }
        if (take("false")) { v.kind = Value::Bool; return v; }
        const char *start = s_.c_str() + i_;
        char *end = nullptr;
        v.number = std::strtod(start, &end);
        if (end == start) fail("unexpected character");
        i_ += static_cast<std::size_t>(end - start);
        v.kind = Value::Number;
        return v;
    }
    unsigned hex4() {
        if (i_ + 4 > s_.size()) fail("short \\u escape");
        unsigned u = static_cast<unsigned>(std::stoul(s_.substr(i_, 4), nullptr, 16));
        i_ += 4;
        return u;
    }
    static void utf8(std::string &out, unsigned cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }
    std::string string() {
        ++i_;  // the opening quote
        std::string out;
        while (i_ < s_.size() && s_[i_] != '"') {
            char c = s_[i_++];
            if (c != '\\') { out += c; continue; }
            if (i_ >= s_.size()) fail("unexpected end in a string");
            char e = s_[i_++];
            switch (e) {
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'u': {
                unsigned cp = hex4();
                if (cp >= 0xD800 && cp < 0xDC00 && take("\\u")) {
                    unsigned low = hex4();
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                }
                utf8(out, cp);
                break;
            }
            default: out += e;  // \" \\ \/
            }
        }
        if (i_ >= s_.size()) fail("unterminated string");
        ++i_;
        return out;
    }

    const std::string &s_;
    std::size_t i_ = 0;
};

inline Value parse(const std::string &text) { return Parser(text).parse(); }

}  // namespace json

#endif
