//! Every scenario of tests/scenarios/scenarios.json through the C ABI, each
//! reported as one test (a `harness = false` test: `cargo test -p
//! etna-auth-capi --test scenarios [-- FILTER]`). The format is in
//! tests/scenarios/README.md; scripted servers come from one
//! tests/scenarios/hostile_server.py child process (python3, or
//! ETNA_AUTH_PYTHON; under Wine the Unix python3, see tests/windows.sh),
//! shared by scenarios that run in parallel
//! (ETNA_SCENARIO_THREADS, default 8: most of them wait on a deadline).
//!
//! Beyond what the bindings' runners check, each status-returning call's
//! status must also be etna_last_status().
//!
//! ETNA_SCENARIOS names another scenario file (hostile_server.py and ../pki
//! are then found beside it).

mod common;

use std::collections::VecDeque;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::*;
use etna_auth_capi::*;
use serde_json::{json, Value};

type Outcome = Result<(), String>;

/// hostile_server.py in a child process, driven over a TCP connection it
/// makes back to us (`--connect PORT`): unlike pipes, that also works for a
/// Windows build under Wine, which runs the Unix python3 as a Unix program.
struct Hostile {
    io: Mutex<(TcpStream, BufReader<TcpStream>)>,
    child: Mutex<Child>,
}

impl Hostile {
    fn start(scenarios: &Path) -> Hostile {
        let server = scenarios.with_file_name("hostile_server.py");
        let python = std::env::var("ETNA_AUTH_PYTHON").unwrap_or_else(|_| "python3".into());
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let child = Command::new(&python)
            .arg(path_for(&python, &server))
            .arg(path_for(&python, scenarios))
            .args(["--connect", &port.to_string()])
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {python} {}: {e}", server.display()));
        listener.set_nonblocking(true).unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let stream = loop {
            match listener.accept() {
                Ok((stream, _)) => break stream,
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Err(e) => panic!("hostile_server.py did not connect back: {e}"),
            }
        };
        stream.set_nonblocking(false).unwrap();
        stream.set_nodelay(true).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let ready: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
        assert_eq!(
            ready["ready"], true,
            "hostile_server.py did not start: {line:?}"
        );
        Hostile {
            io: Mutex::new((stream, reader)),
            child: Mutex::new(child),
        }
    }

    fn ask(&self, command: &str) -> Result<Value, String> {
        let mut io = self.io.lock().unwrap();
        io.0.write_all(format!("{command}\n").as_bytes())
            .map_err(|e| e.to_string())?;
        let mut line = String::new();
        io.1.read_line(&mut line).map_err(|e| e.to_string())?;
        let answer: Value = serde_json::from_str(&line).map_err(|e| format!("{e}: {line:?}"))?;
        match answer.get("error") {
            Some(e) => Err(format!("hostile_server.py: {command}: {e}")),
            None => Ok(answer),
        }
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        // The end of the connection ends the server.
        let _ = self.io.lock().unwrap().0.shutdown(std::net::Shutdown::Both);
        let _ = self.child.lock().unwrap().wait();
    }
}

/// A path as the server's python reads it: without the `\\?\` prefix of
/// canonical Windows paths, and as a Unix path when the python is a Unix
/// program started from Wine (`ETNA_AUTH_PYTHON=/usr/bin/python3`; Wine's
/// drive Z: is the Unix root).
fn path_for(python: &str, path: &Path) -> String {
    let p = path.to_string_lossy();
    let p = p.strip_prefix(r"\\?\").unwrap_or(&p);
    match p.strip_prefix(r"Z:\") {
        Some(rest) if cfg!(windows) && python.starts_with('/') => {
            format!("/{}", rest.replace('\\', "/"))
        }
        _ => p.to_owned(),
    }
}

fn status_name(code: i32) -> String {
    let s = unsafe { CStr::from_ptr(etna_status_str(code)) }.to_string_lossy();
    s.split(':').next().unwrap_or("?").to_owned()
}

fn str_of(v: &Value, key: &str) -> Result<String, String> {
    v[key]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{key} missing in {v}"))
}

/// The scripted answers of a "login" step, given to etna_login()'s callback
/// one per request for a factor, and what the callback was asked.
struct Script {
    /// `None`: no callback at all (a NULL `ask`).
    answers: Option<Vec<Value>>,
    asked: Vec<(String, String)>,
    trouble: Option<String>,
}

impl Script {
    fn new(step: &Value) -> Result<Script, String> {
        let answers = match &step["answers"] {
            Value::Null => None,
            Value::Array(a) => Some(a.clone()),
            other => return Err(format!("answers must be a list or null, not {other}")),
        };
        Ok(Script {
            answers,
            asked: Vec::new(),
            trouble: None,
        })
    }

    fn callback(&mut self) -> (EtnaAskCallback, *mut c_void) {
        match self.answers {
            None => (None, std::ptr::null_mut()),
            Some(_) => (Some(answer_from_script), (self as *mut Script).cast()),
        }
    }

    /// The callback was called as `expect.asked` says: [[STEP, REASON REGEX], ...].
    fn check(&self, expect: &Value, secrets: &[String]) -> Outcome {
        if let Some(trouble) = &self.trouble {
            return Err(trouble.clone());
        }
        for (_, reason) in &self.asked {
            if let Some(secret) = secrets.iter().find(|s| reason.contains(s.as_str())) {
                return Err(format!("secret {secret:?} in the reason {reason:?}"));
            }
        }
        let Some(wanted) = expect.get("asked") else {
            return Ok(());
        };
        let wanted = wanted.as_array().ok_or("expect.asked must be a list")?;
        if wanted.len() != self.asked.len() {
            return Err(format!(
                "the callback was asked {:?}, expected {} times",
                self.asked,
                wanted.len()
            ));
        }
        for ((step, reason), want) in self.asked.iter().zip(wanted) {
            let (want_step, pattern) = (want[0].as_str(), want[1].as_str().unwrap_or(""));
            let re = regex::Regex::new(pattern).map_err(|e| e.to_string())?;
            if want_step != Some(step.as_str()) || !re.is_match(reason) {
                return Err(format!(
                    "the callback was asked {step} ({reason:?}), expected {want}"
                ));
            }
        }
        Ok(())
    }

    /// The bytes an answer writes: a string, a {"repeat", "times"} string, or
    /// {"give", "after_ms"} after a pause; `None` gives up ({"throw"} too: C
    /// has no exceptions, a C callback gives up instead).
    fn answer_bytes(answer: &Value) -> Option<Vec<u8>> {
        match answer {
            Value::String(s) => Some(s.clone().into_bytes()),
            Value::Object(o) if o.contains_key("repeat") => {
                let times = o["times"].as_u64().unwrap_or(1) as usize;
                Some(o["repeat"].as_str()?.repeat(times).into_bytes())
            }
            Value::Object(o) if o.contains_key("give") => {
                std::thread::sleep(Duration::from_millis(o["after_ms"].as_u64().unwrap_or(0)));
                Some(o["give"].as_str()?.as_bytes().to_vec())
            }
            _ => None,
        }
    }
}

/// etna_login()'s callback: the next scripted answer. An answer that does not
/// fit fills the whole buffer without a NUL, as the bindings do.
unsafe extern "C" fn answer_from_script(
    user_data: *mut c_void,
    step: c_int,
    reason: *const c_char,
    answer: *mut c_char,
    answer_size: usize,
) -> c_int {
    let script = &mut *user_data.cast::<Script>();
    let reason = CStr::from_ptr(reason).to_string_lossy().into_owned();
    let index = script.asked.len();
    script.asked.push((status_name(step), reason));
    let Some(scripted) = script.answers.as_ref().and_then(|a| a.get(index)) else {
        script.trouble = Some(format!(
            "the callback was asked {} times, more than scripted",
            index + 1
        ));
        return -1;
    };
    let Some(bytes) = Script::answer_bytes(scripted) else {
        return -1;
    };
    let out = std::slice::from_raw_parts_mut(answer.cast::<u8>(), answer_size);
    if bytes.len() < answer_size {
        out[..bytes.len()].copy_from_slice(&bytes);
        out[bytes.len()] = 0;
    } else {
        out.copy_from_slice(&bytes[..answer_size]);
    }
    0
}

struct Session(*mut EtnaSession);
unsafe impl Send for Session {}
unsafe impl Sync for Session {}
impl Drop for Session {
    fn drop(&mut self) {
        unsafe { etna_free(self.0) }
    }
}

struct Run<'a> {
    sc: &'a Value,
    doc: &'a Value,
    pki: String,
    hostile: &'a Hostile,
    sandbox: Option<Sbx>,
    run_key: Option<String>,
    server_url: Option<String>,
    session: Option<Session>,
    timeout_ms: u64,
    secrets: Vec<String>,
}

impl Run<'_> {
    fn expand(&self, text: &str) -> String {
        let mut t = text.replace("{pki}", &self.pki);
        if let Some(url) = &self.server_url {
            t = t.replace("{server}", url);
        }
        t
    }

    fn start(&mut self) -> Outcome {
        let server = &self.sc["server"];
        let kind = server["kind"].as_str().unwrap_or("script");
        let defaults = &self.doc["defaults"];
        let mut app_key = defaults["app_key"].as_str().unwrap_or("the-key").to_owned();
        match kind {
            "sandbox" => {
                let config = (!server["config"].is_null()).then(|| server["config"].to_string());
                let sbx = Sbx::start(config.as_deref());
                self.server_url = Some(sbx.url());
                app_key = sbx.key();
                self.sandbox = Some(sbx);
            }
            "script" | "refused" => {
                let opened = self
                    .hostile
                    .ask(&format!("open {}", str_of(self.sc, "id")?))?;
                self.server_url = Some(str_of(&opened, "url")?);
                self.run_key = Some(str_of(&opened, "key")?);
            }
            _ => {}
        }
        let spec = match self.sc.get("session") {
            Some(Value::Null) => return Ok(()),
            Some(spec) => spec.clone(),
            None => json!({}),
        };
        let url = self.expand(spec["url"].as_str().unwrap_or("{server}"));
        let key = spec["app_key"].as_str().unwrap_or(&app_key).to_owned();
        if let Some(ms) = spec["timeout_ms"].as_u64() {
            self.timeout_ms = ms;
        }
        let p = unsafe { etna_new(c(&url).as_ptr(), c(&key).as_ptr()) };
        if p.is_null() {
            return Err(format!("etna_new({url}): {}", last_error()));
        }
        self.session = Some(Session(p));
        let rc = unsafe { etna_set_timeout_ms(p, self.timeout_ms as u32) };
        if rc != ETNA_OK {
            return Err(format!("etna_set_timeout_ms: {}", last_error()));
        }
        if let Some(ca) = spec["ca_file"].as_str() {
            let rc = unsafe { etna_set_ca_file(p, c(&self.expand(ca)).as_ptr()) };
            if rc != ETNA_OK {
                return Err(format!("etna_set_ca_file({ca}): {}", last_error()));
            }
        }
        Ok(())
    }

    fn ptr(&self) -> *mut EtnaSession {
        self.session.as_ref().map_or(std::ptr::null_mut(), |s| s.0)
    }

    /// Runs one call: (status, message, token or expiry, whether it is a status the C ABI returned).
    fn call(&mut self, step: &Value) -> Result<(i32, String, Option<Value>, bool), String> {
        let p = self.ptr();
        let name = str_of(step, "call")?;
        let s = |k: &str| str_of(step, k).map(|v| c(&v));
        let rc = unsafe {
            match name.as_str() {
                "begin" => etna_begin_auth(p, s("username")?.as_ptr(), s("password")?.as_ptr()),
                "pin" => etna_supply_pin(p, s("value")?.as_ptr()),
                "code" => etna_supply_code(p, s("value")?.as_ptr()),
                "login" => {
                    let mut script = Script::new(step)?;
                    let (ask, data) = script.callback();
                    let rc = etna_login(
                        p,
                        s("username")?.as_ptr(),
                        s("password")?.as_ptr(),
                        ask,
                        data,
                    );
                    script.check(&step["expect"], &self.secrets)?;
                    rc
                }
                "abandon" => etna_abandon_login(p),
                "end_login" => etna_end_login(p),
                "cancel" => etna_cancel(p),
                "set_proxy" => etna_set_proxy(p, s("url")?.as_ptr()),
                "set_timeout_ms" => {
                    self.timeout_ms = step["ms"].as_u64().ok_or("ms missing")?;
                    etna_set_timeout_ms(p, self.timeout_ms as u32)
                }
                "set_ca_file" => {
                    etna_set_ca_file(p, c(&self.expand(&str_of(step, "path")?)).as_ptr())
                }
                "token" => {
                    let n = etna_get_token(p, std::ptr::null_mut(), 0);
                    if n < 0 {
                        return Ok((n, last_error(), None, true));
                    }
                    let mut buf = vec![0u8; n as usize + 1];
                    let m = etna_get_token(p, buf.as_mut_ptr().cast::<c_char>(), buf.len());
                    if m != n || buf[n as usize] != 0 {
                        return Err(format!("etna_get_token: {m} then {n}, or no NUL"));
                    }
                    buf.pop();
                    let token = String::from_utf8(buf).map_err(|e| e.to_string())?;
                    return Ok((ETNA_OK, last_error(), Some(Value::String(token)), true));
                }
                "expires_at" => {
                    let at = etna_token_expires_at(p);
                    let msg = last_error();
                    return Ok(if at == 0 {
                        (ETNA_ERR_STATE, msg, None, false)
                    } else {
                        (ETNA_OK, msg, Some(Value::from(at)), false)
                    });
                }
                "new" => {
                    let url = self.expand(&str_of(step, "url")?);
                    let q = etna_new(c(&url).as_ptr(), s("app_key")?.as_ptr());
                    if q.is_null() {
                        return Ok((etna_last_status(), last_error(), None, true));
                    }
                    let msg = last_error();
                    if etna_set_timeout_ms(q, self.timeout_ms as u32) != ETNA_OK {
                        return Err(last_error());
                    }
                    self.session = Some(Session(q));
                    return Ok((ETNA_OK, msg, None, true));
                }
                "sandbox_start" => {
                    let config = step["config"].to_string();
                    let sbx = etna_sandbox_start(c(&config).as_ptr());
                    let (status, msg) = (etna_last_status(), last_error());
                    if sbx.is_null() {
                        return Ok((status, msg, None, true));
                    }
                    etna_sandbox_stop(sbx);
                    return Ok((ETNA_OK, msg, None, true));
                }
                other => return Err(format!("unknown call {other:?}")),
            }
        };
        let status = etna_last_status();
        if status != rc {
            return Err(format!(
                "{name} returned {rc} but etna_last_status() is {status}"
            ));
        }
        Ok((rc, last_error(), None, true))
    }

    fn step(&mut self, i: usize, step: &Value) -> Outcome {
        let name = step["call"].as_str().unwrap_or("?");
        let id = self.sc["id"].as_str().unwrap_or("?");
        let at = format!("{id}: step {i} ({name})");
        let default_expect = json!({"status": "ETNA_OK"});
        let expect = step.get("expect").unwrap_or(&default_expect);
        let want = str_of(expect, "status")?;
        let started = Instant::now();
        let result = std::thread::scope(|scope| {
            if let Some(ms) = step["cancel_after_ms"].as_u64() {
                let session = self.session.as_ref().map(|s| s.0 as usize).unwrap_or(0);
                scope.spawn(move || {
                    std::thread::sleep(Duration::from_millis(ms));
                    unsafe { etna_cancel(session as *mut EtnaSession) };
                });
            }
            self.call(step)
        });
        let elapsed = started.elapsed();
        let (rc, msg, value, returned) = result.map_err(|e| format!("{at}: {e}"))?;
        let got = status_name(rc);
        if got != want {
            return Err(format!("{at}: {got} ({msg:?}), expected {want}"));
        }
        if msg.chars().any(char::is_control) {
            return Err(format!("{at}: the message is not one line: {msg:?}"));
        }
        if msg.len() >= 4096 {
            return Err(format!("{at}: a message of {} bytes", msg.len()));
        }
        if rc < 0 && returned && msg.is_empty() {
            return Err(format!("{at}: no message"));
        }
        if let Some(secret) = self.secrets.iter().find(|s| msg.contains(s.as_str())) {
            return Err(format!("{at}: secret {secret:?} in the message {msg:?}"));
        }
        if let Some(pattern) = expect["message"].as_str() {
            let re = regex::Regex::new(pattern).map_err(|e| format!("{at}: {e}"))?;
            if !re.is_match(&msg) {
                return Err(format!("{at}: message {msg:?} does not match /{pattern}/"));
            }
        }
        if let Some(token) = expect.get("token") {
            if value.as_ref() != Some(token) {
                return Err(format!("{at}: token {value:?}, expected {token}"));
            }
        }
        if let (Some(at_s), "expires_at") = (value.as_ref().and_then(Value::as_i64), name) {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64;
            if !(now + 23 * 3600 < at_s && at_s <= now + 24 * 3600 + 60) {
                return Err(format!(
                    "{at}: expires at {at_s}, not about 24 h after {now}"
                ));
            }
        }
        let slack = self.doc["defaults"]["slack_ms"].as_u64().unwrap_or(2500);
        let max_ms = expect["max_ms"].as_u64().or_else(|| {
            (matches!(name, "begin" | "pin" | "code") && self.session.is_some())
                .then_some(self.timeout_ms + slack)
        });
        // A login: up to four exchanges (a wrong factor asked again); a
        // scenario whose callback pauses says its own max_ms.
        let max_ms = max_ms.or_else(|| {
            (name == "login" && self.session.is_some()).then_some(4 * self.timeout_ms + slack)
        });
        if let Some(max) = max_ms {
            if elapsed > Duration::from_millis(max) {
                return Err(format!("{at}: took {elapsed:?}, more than {max} ms"));
            }
        }
        if let Some(min) = expect["min_ms"].as_u64() {
            if elapsed < Duration::from_millis(min) {
                return Err(format!("{at}: took {elapsed:?}, less than {min} ms"));
            }
        }
        Ok(())
    }

    fn check_server(&self) -> Outcome {
        let id = self.sc["id"].as_str().unwrap_or("?");
        let got = if let Some(sbx) = &self.sandbox {
            json!({"requests": sbx.requests(), "connections": sbx.connections(), "violations": []})
        } else if let Some(key) = &self.run_key {
            self.hostile.ask(&format!("stats {key}"))?
        } else {
            return Ok(());
        };
        if let Some(v) = got["violations"].as_array().filter(|v| !v.is_empty()) {
            return Err(format!("{id}: the server saw: {v:?}"));
        }
        let want = &self.sc["server_expect"];
        for key in ["requests", "connections"] {
            if let Some(n) = want[key].as_u64() {
                if got[key].as_u64() != Some(n) {
                    return Err(format!(
                        "{id}: {} {key} at the server, expected {n}",
                        got[key]
                    ));
                }
            }
        }
        if let Some(max) = want["max_connections"].as_u64() {
            if got["connections"].as_u64().unwrap_or(0) > max {
                return Err(format!(
                    "{id}: {} connections, at most {max} expected",
                    got["connections"]
                ));
            }
        }
        Ok(())
    }
}

fn run_scenario(doc: &Value, sc: &Value, pki: &str, hostile: &Hostile) -> Outcome {
    let secrets = doc["defaults"]["secrets"]
        .as_array()
        .into_iter()
        .chain(sc["secrets"].as_array())
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect();
    let mut run = Run {
        sc,
        doc,
        pki: pki.to_owned(),
        hostile,
        sandbox: None,
        run_key: None,
        server_url: None,
        session: None,
        timeout_ms: doc["defaults"]["timeout_ms"].as_u64().unwrap_or(30000),
        secrets,
    };
    run.start()?;
    for (i, step) in sc["steps"].as_array().ok_or("no steps")?.iter().enumerate() {
        run.step(i, step)?;
    }
    // Closed first, so that the server's counts are final.
    run.session = None;
    run.check_server()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let list = args.iter().any(|a| a == "--list");
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let scenarios = std::env::var_os("ETNA_SCENARIOS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/scenarios/scenarios.json")
        });
    let scenarios = scenarios
        .canonicalize()
        .expect("tests/scenarios/scenarios.json");
    let pki = scenarios
        .parent()
        .unwrap()
        .join("../pki")
        .canonicalize()
        .expect("tests/pki");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&scenarios).unwrap())
        .expect("scenarios.json is JSON");
    let all = doc["scenarios"].as_array().expect("scenarios");
    let chosen: Vec<&Value> = all
        .iter()
        .filter(|s| {
            let id = s["id"].as_str().unwrap_or("");
            filters.is_empty() || filters.iter().any(|f| id.contains(f.as_str()))
        })
        .collect();
    if list {
        for s in &chosen {
            println!("{}: test", s["id"].as_str().unwrap_or("?"));
        }
        return;
    }
    println!(
        "\nrunning {} scenarios of {}",
        chosen.len(),
        scenarios.display()
    );
    let hostile = Hostile::start(&scenarios);
    let threads: usize = std::env::var("ETNA_SCENARIO_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let queue = Mutex::new(chosen.iter().copied().collect::<VecDeque<_>>());
    let failures = Mutex::new(Vec::new());
    let passed = Mutex::new(0usize);
    let started = Instant::now();
    // Not verbatim (`\\?\` on Windows), so that "{pki}/ca.pem" is a valid path.
    let pki = pki.to_str().unwrap();
    let pki = pki.strip_prefix(r"\\?\").unwrap_or(pki).to_owned();
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| loop {
                let Some(sc) = queue.lock().unwrap().pop_front() else {
                    return;
                };
                let id = sc["id"].as_str().unwrap_or("?");
                let t0 = Instant::now();
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    run_scenario(&doc, sc, &pki, &hostile)
                }))
                .unwrap_or_else(|p| {
                    Err(p
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_else(|| "panicked".into()))
                });
                match outcome {
                    Ok(()) => {
                        *passed.lock().unwrap() += 1;
                        println!("test {id} ... ok ({} ms)", t0.elapsed().as_millis());
                    }
                    Err(e) => {
                        println!("test {id} ... FAILED");
                        failures.lock().unwrap().push(e);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    let passed = passed.into_inner().unwrap();
    if !failures.is_empty() {
        println!("\nfailures:");
        for f in &failures {
            println!("    {f}");
        }
    }
    println!(
        "\ntest result: {}. {passed} passed; {} failed; finished in {:.2}s\n",
        if failures.is_empty() { "ok" } else { "FAILED" },
        failures.len(),
        started.elapsed().as_secs_f64()
    );
    drop(hostile);
    if !failures.is_empty() {
        std::process::exit(101);
    }
}
