"""The HTML report's one stylesheet, inlined in the page (pipelines/html_report.py): the page and
its tables, and the classes of the SVG charts (pipelines/charts.py) it embeds. Health colours are
those of the terminal report; no font, image or sheet is fetched (the page's CSP forbids it).
"""

STYLE = """
:root{--failing:#dc2626;--stale:#ca8a04;--degraded:#ea580c;--healthy:#16a34a;--disabled:#9ca3af;
 --ink:#111827;--muted:#6b7280;--line:#e5e7eb;--bg:#f6f7f9;--accent:#4f46e5}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
 "Helvetica Neue","Noto Sans","Liberation Sans",Arial,"Noto Sans CJK JP",sans-serif}
main{max-width:1320px;margin:0 auto;padding:28px 32px 40px}
header{display:flex;align-items:baseline;gap:18px;flex-wrap:wrap;border-bottom:1px solid var(--line);
 padding-bottom:12px}
h1{font-size:26px;margin:0;letter-spacing:-.01em} h2{font-size:18px;margin:0 0 2px}
.meta,.sub,footer{color:var(--muted)} .sub{margin:0 0 12px;font-size:13px} .more{margin-top:8px}
section{margin-top:28px} footer{margin-top:32px;font-size:12px}
code{font:12.5px ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;background:#eef0f4;padding:1px 5px;
 border-radius:4px}
.cards{display:grid;grid-template-columns:repeat(6,1fr);gap:12px;margin-bottom:16px}
.card{background:#fff;border:1px solid var(--line);border-top:4px solid var(--c,var(--ink));border-radius:8px;
 padding:10px 14px}
.card b{display:block;font-size:28px;font-variant-numeric:tabular-nums}
.card span{color:var(--muted);text-transform:capitalize}
.failing{--c:var(--failing)} .stale{--c:var(--stale)} .degraded{--c:var(--degraded)}
.healthy{--c:var(--healthy)} .disabled{--c:var(--disabled)}
table{width:100%;border-collapse:collapse;background:#fff;border:1px solid var(--line)}
th,td{padding:7px 10px;text-align:left;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);background:#fafbfc}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.mix{width:40%}
.mixbar{display:flex;height:14px;border-radius:7px;overflow:hidden;background:var(--line);margin-top:3px}
.mixbar i{display:block;background:var(--c)}
.badge{display:inline-block;padding:1px 9px;border-radius:999px;font-size:12px;font-weight:600;color:#fff;
 background:var(--c)}
.badge.stale{color:#422006;background:#facc15} .badge.disabled{color:#374151;background:#e5e7eb}
td.name{max-width:520px;overflow-wrap:anywhere} td.vendor{white-space:nowrap}
td small{display:block;color:var(--muted);font-size:11.5px}
.worst tr td:first-child{box-shadow:inset 3px 0 var(--c)}
.errors code{white-space:pre-wrap;overflow-wrap:anywhere;background:none;padding:0;font-weight:600}
.example{color:var(--muted);font-size:12.5px;overflow-wrap:anywhere;margin-top:2px}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:14px}
figure{margin:0;background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 14px 6px}
figcaption{display:flex;justify-content:space-between;gap:8px;font-size:13px}
figcaption b{white-space:nowrap} figcaption span{color:var(--muted)}
.foot{margin:0;color:var(--muted);font-size:12px;text-align:right}
.empty-note{background:#fff;border:1px dashed #cbd5e1;border-radius:8px;padding:28px;text-align:center;
 font-size:15px}
svg.chart{display:block;margin-top:4px;overflow:visible}
svg .grid{stroke:var(--line)} svg .axis{stroke:#9ca3af} svg .tick{fill:var(--muted);font-size:11px}
svg .note{fill:#374151;font-size:11px;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
svg .empty{fill:#f9fafb;stroke:var(--line);stroke-dasharray:4 4}
svg .line{fill:none;stroke:var(--accent);stroke-width:2;stroke-linejoin:round}
svg .area{fill:var(--accent);opacity:.08} svg .dot{fill:var(--accent)} svg .dot.low{fill:var(--degraded)}
svg .threshold{stroke:var(--degraded);stroke-dasharray:5 4;stroke-width:1.2}
svg .bar{fill:var(--accent);opacity:.85} svg .median{stroke:var(--ink);stroke-dasharray:3 3}
svg .anomaly{fill:var(--failing);stroke:#fff;stroke-width:1}
.badge.spike{--c:var(--degraded)} .badge.drop{--c:var(--accent)}
"""
