import { createHash } from 'node:crypto';
import escapeHtml from 'escape-html';

const STYLE = `
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
  font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;color:#1f2328}
main{width:100%;max-width:26rem;min-width:0;margin:1rem;padding:1.75rem;background:#fff;
  border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.12),0 8px 24px rgba(0,0,0,.06);
  overflow-wrap:anywhere}
h1{font-size:1.25rem;margin:0 0 .25rem}
p{margin:.5rem 0}
.origin{margin:0 0 .5rem;font-size:1.05rem}
.muted{color:#59636e;font-size:.9rem}
.error{background:#ffebe9;border:1px solid #ffcecb;color:#82071e;padding:.6rem .8rem;border-radius:8px}
label{display:block;font-weight:600;margin:.9rem 0 .3rem}
input[type=text],input[type=password]{width:100%;padding:.6rem .7rem;font-size:1rem;
  border:1px solid #d0d7de;border-radius:8px}
input:focus,button:focus{outline:2px solid #0969da;outline-offset:1px}
ul{padding-left:1.2rem;margin:.5rem 0}
li{margin:.35rem 0}
code{font-size:.85rem;background:#f6f8fa;padding:.05rem .3rem;border-radius:4px}
code.scope{white-space:nowrap;overflow-wrap:normal}
.actions{display:flex;gap:.75rem;margin-top:1.4rem}
button{flex:1;padding:.65rem 1rem;font-size:1rem;font-weight:600;border-radius:8px;cursor:pointer;
  border:1px solid #d0d7de;background:#f6f8fa;color:#1f2328}
button.primary{background:#1f883d;border-color:#1a7f37;color:#fff}
`.trim();

/** Only this exact stylesheet may apply; no script runs on these pages at all. */
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/**
 * Headers every HTML page (interaction, error, 429) is sent with (AS-17: no framing, no caching,
 * no referrer).
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; frame-ancestors 'none'; base-uri 'none'`,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** A complete HTML document: the given body inside the styled card. */
export function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body><main>
${body}
</main></body>
</html>`;
}

export function renderErrorPage(title: string, message: string): string {
  return layout(
    title,
    `<h1>${escapeHtml(title)}</h1>
<p class="error" role="alert">${escapeHtml(message)}</p>
<p class="muted">Close this window and start again from the application.</p>`,
  );
}
