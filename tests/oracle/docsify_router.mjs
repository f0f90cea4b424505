// docsify's own router, from the pinned npm package's source, as the oracle for kb's route
// rules (tools/kb/routes.py): for each case, the href docsify compiles a link to
// (`toURL`, as the link compiler calls it) and the file its router then fetches (`getFile`).
//
// stdin:  [{config, current, href}]    stdout: [{url, file, embed}] in the same order
// (`embed`: where an image or `:include` of that href loads from)
// `current` is the route of the page the link is on; `file` is relative to the site root
// (docsify's basePath stripped), or the absolute URL when an alias points off the site.

const noop = () => {};
const element = () => ({ style: {}, classList: { add: noop, remove: noop, contains: () => false },
  setAttribute: noop, appendChild: noop, addEventListener: noop, querySelector: () => null });
globalThis.window = globalThis;
globalThis.document = { documentElement: element(), body: element(), head: element(),
  querySelector: () => null, querySelectorAll: () => [], createElement: element,
  addEventListener: noop };
globalThis.getComputedStyle = () => ({ getPropertyValue: () => '' });
globalThis.location = { href: 'http://site.test/', pathname: '/', hash: '', replace: noop };

const { HashHistory } = await import(
  new URL('../../node_modules/docsify/src/core/router/history/hash.js', import.meta.url)
);
const { getPath, getParentPath, isAbsolutePath } = await import(
  new URL('../../node_modules/docsify/src/core/router/util.js', import.meta.url)
);

let input = '';
for await (const chunk of process.stdin) input += chunk;
const out = [];
for (const { config, current, href } of JSON.parse(input)) {
  const router = new HashHistory({ ext: '.md', homepage: '', basePath: '', relativePath: false, ...config });
  let url = href;
  // The link compiler: a homepage href becomes README; absolute URLs are left alone.
  if (href === config.homepage) url = 'README';
  url = router.toURL(url, null, current);
  const route = url.replace(/^#/, '');
  const path = route.split('?')[0];
  let file = router.getFile(path);
  const base = `/${(config.basePath || '').replace(/^\/+|\/+$/g, '')}/`.replace('//', '/');
  if (!/^[a-z]+:|^\/\//i.test(file)) file = file.startsWith(base) ? file.slice(base.length) : file.replace(/^\//, '');
  // Images and :include (compiler.js): the route's folder, under the content base.
  const embed = isAbsolutePath(href) ? href : getPath(config.basePath || '', getParentPath(current), href);
  out.push({ url, file, embed: embed.replace(/^\//, '') });
}
process.stdout.write(JSON.stringify(out));
