// CSP violations of the live page, kept on <html> for the auditor (tests/browser/test_attacks.py).
// DOMPurify parses hostile HTML into an inert document; Chromium reports the handlers in it
// as violations of the page (from purify.min.js) although none of them can ever run: those
// are the sanitizer reading, not the page running, and are left out.
document.addEventListener('securitypolicyviolation', (event) => {
  if (/\/dompurify\/purify\.min\.js$/.test(event.sourceFile || '')) return;
  const list = JSON.parse(document.documentElement.dataset.kbViolations || '[]');
  const sample = (event.sample || '').slice(0, 60);
  list.push(`${event.effectiveDirective} ${event.blockedURI || ''} ${sample} (${event.sourceFile || ''})`);
  document.documentElement.dataset.kbViolations = JSON.stringify(list);
}, true);
