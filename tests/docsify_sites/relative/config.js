// docsify accepts the config as a function of the docsify instance.
window.$docsify = function (vm) {
  return { relativePath: true, basePath: 'docs/', loadSidebar: false };
};
