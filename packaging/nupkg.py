"""Writes a .nupkg (an OPC zip) without a .NET SDK or nuget.exe.

    nupkg.py --nuspec EtnaAuth.nuspec --version 0.1.0 --content DIR --out EtnaAuth.0.1.0.nupkg

DIR holds the package's files as they go in (lib/netstandard2.0/..., runtimes/
<rid>/native/..., README.md). Adds what NuGet clients read besides: the nuspec
at the root (``$version$`` replaced; comments dropped), ``[Content_Types].xml``,
``_rels/.rels`` (the manifest and core-properties relationships) and
``package/services/metadata/core-properties/<id>.psmdcp``, as ``nuget pack``
does. Entries are sorted and dated SOURCE_DATE_EPOCH, so the same inputs give
the same bytes. Checks that every file the nuspec names (readme) is there.
"""

import argparse
import hashlib
import os
import sys
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

NS = "http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nuspec", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--content", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    text = Path(args.nuspec).read_text(encoding="utf-8").replace("$version$", args.version)
    ET.register_namespace("", NS)
    tree = ET.ElementTree(ET.fromstring(text))  # drops the comments
    meta = tree.getroot().find(f"{{{NS}}}metadata")
    if meta is None:
        sys.exit("nupkg.py: the nuspec has no <metadata>")
    field = lambda name: (meta.findtext(f"{{{NS}}}{name}") or "").strip()
    pkg_id, version = field("id"), field("version")
    if version != args.version:
        sys.exit(f"nupkg.py: nuspec version {version!r} is not {args.version!r}")
    nuspec_bytes = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(tree.getroot(), encoding="utf-8")

    content = Path(args.content)
    files = sorted(p for p in content.rglob("*") if p.is_file())
    names = [p.relative_to(content).as_posix() for p in files]
    readme = field("readme")
    if readme and readme not in names:
        sys.exit(f"nupkg.py: the nuspec's readme {readme} is not in {content}")
    for name in names:
        if name.endswith(".nuspec") or name.startswith(("_rels/", "package/")) or name == "[Content_Types].xml":
            sys.exit(f"nupkg.py: {name} would clash with the package's own metadata")

    # A stable id for the core-properties part, from the package's identity.
    psmdcp_id = hashlib.sha1(f"{pkg_id}.{version}".encode()).hexdigest()[:32]
    psmdcp_name = f"package/services/metadata/core-properties/{psmdcp_id}.psmdcp"
    extensions = sorted({Path(n).suffix.lstrip(".").lower() for n in names if Path(n).suffix} | {"nuspec"})
    content_types = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" />'
        '<Default Extension="psmdcp" ContentType="application/vnd.openxmlformats-package.core-properties+xml" />'
        + "".join(f'<Default Extension="{escape(e)}" ContentType="application/octet" />' for e in extensions)
        + "</Types>"
    )
    rels = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/{pkg_id}.nuspec" Id="R{psmdcp_id[:16]}" />'
        '<Relationship Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
        f'Target="/{psmdcp_name}" Id="R{psmdcp_id[16:]}" />'
        "</Relationships>"
    )
    psmdcp = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<coreProperties xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns="http://schemas.openxmlformats.org/package/2006/metadata/core-properties">'
        f"<dc:creator>{escape(field('authors'))}</dc:creator>"
        f"<dc:description>{escape(field('description'))}</dc:description>"
        f"<dc:identifier>{escape(pkg_id)}</dc:identifier>"
        f"<version>{escape(version)}</version>"
        f"<keywords>{escape(field('tags'))}</keywords>"
        "<lastModifiedBy>etna-auth packaging/nupkg.py</lastModifiedBy>"
        "</coreProperties>"
    )

    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", time.time()))
    stamp = time.gmtime(max(epoch, 315532800))[:6]  # zip dates start in 1980

    def entry(name):
        info = zipfile.ZipInfo(name, date_time=stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    out = Path(args.out)
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as z:
        z.writestr(entry("_rels/.rels"), rels)
        z.writestr(entry(f"{pkg_id}.nuspec"), nuspec_bytes)
        for path, name in zip(files, names):
            z.writestr(entry(name), path.read_bytes())
        z.writestr(entry(psmdcp_name), psmdcp)
        z.writestr(entry("[Content_Types].xml"), content_types)
    os.replace(tmp, out)
    print(f"nupkg.py: {out.name}: {len(names)} files + metadata")


if __name__ == "__main__":
    main()
