// The static mirror's math (kb export): pymdownx.arithmatex leaves each formula as
// \( … \) or \[ … \] in a .arithmatex element; KaTeX (copied from the pinned npm package)
// typesets them on every page Material shows.
document$.subscribe(function () {
  document.querySelectorAll(".arithmatex").forEach(function (element) {
    renderMathInElement(element, {
      delimiters: [
        { left: "\\(", right: "\\)", display: false },
        { left: "\\[", right: "\\]", display: true },
      ],
      throwOnError: false,
    });
  });
});
