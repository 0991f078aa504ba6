"""Read a printed 公示 sheet the way a villager meets it: render each page of a PDF to PNG and decode the QR codes on
it, then say which mini-program page each QR opens and whether that page exists in miniprogram-stub/app.json.

    .venv/bin/python scripts/sheet_check.py SHEET.pdf [--png-prefix console/test-screenshots/sheet-job] [--scale 2]

Prints one JSON object on stdout:

    {"pages": 1, "pngs": ["…-1.png"], "qr": [{"page": 1, "text": "pages/job/job?id=3",
      "path": "pages/job/job", "query": {"id": "3"}, "exists": true}], "text": ["…page 1's text…"]}

Exit status 0 when the PDF renders, at least one QR decodes and every decoded page exists; 1 otherwise (the JSON
still says what was found). Used by console/tests/sheets.spec.js and tests/printing/.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

ROOT = Path(__file__).resolve().parent.parent
APP_JSON = ROOT / "miniprogram-stub" / "app.json"


def mini_pages() -> set[str]:
    return set(json.loads(APP_JSON.read_text(encoding="utf-8"))["pages"])


def read_qr(text: str, pages: set[str]) -> dict[str, Any]:
    parts = urlsplit(text)
    path = parts.path.lstrip("/")
    return {"text": text, "path": path, "query": dict(parse_qsl(parts.query)), "exists": path in pages}


def check(pdf_bytes: bytes, png_prefix: str | None = None, scale: float = 2.0) -> dict[str, Any]:
    import pypdfium2 as pdfium
    import zxingcpp

    pages = mini_pages()
    doc = pdfium.PdfDocument(pdf_bytes)
    out: dict[str, Any] = {"pages": len(doc), "pngs": [], "qr": [], "text": []}
    try:
        for i in range(len(doc)):
            page = doc[i]
            image = page.render(scale=scale).to_pil()
            textpage = page.get_textpage()
            out["text"].append(textpage.get_text_range())
            textpage.close()
            if png_prefix:
                name = f"{png_prefix}-{i + 1}.png" if len(doc) > 1 else f"{png_prefix}.png"
                Path(name).parent.mkdir(parents=True, exist_ok=True)
                image.save(name)
                out["pngs"].append(name)
            for r in zxingcpp.read_barcodes(image):
                if r.format == zxingcpp.BarcodeFormat.QRCode:
                    out["qr"].append({"page": i + 1, **read_qr(r.text, pages)})
            page.close()
    finally:
        doc.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pdf", type=Path)
    ap.add_argument("--png-prefix", default=None, help="write page N to <prefix>-N.png (one page: <prefix>.png)")
    ap.add_argument("--scale", type=float, default=2.0, help="pixels per PDF point (2 ≈ 144 dpi)")
    args = ap.parse_args(argv)
    result = check(args.pdf.read_bytes(), args.png_prefix, args.scale)
    print(json.dumps(result, ensure_ascii=False))
    ok = result["pages"] > 0 and result["qr"] and all(q["exists"] for q in result["qr"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
