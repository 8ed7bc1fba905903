/* Draws every <canvas data-spec="..."> from the JSON chart specification the page embeds beside it. */
(function () {
  "use strict";

  const PALETTE = {
    blue: "#2563eb", orange: "#ea580c", teal: "#0d9488", purple: "#7c3aed",
    green: "#16a34a", amber: "#d97706", red: "#dc2626", grey: "#94a3b8", pale: "#bfdbfe",
  };
  const CYCLE = ["blue", "orange", "teal", "purple", "green", "amber", "red"];
  const numbers = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

  function formatter(axis) {
    if (axis && axis.format === "percent") {
      return (value) => (value === null || value === undefined ? "–" : `${(value * 100).toFixed(1)}%`);
    }
    return (value) => numbers.format(value);
  }

  function scale(axis, stacked) {
    const options = { stacked: Boolean(stacked), grid: { color: "#eef1f5" }, ticks: {} };
    if (!axis) return options;
    if (axis.title) options.title = { display: true, text: axis.title, color: "#64748b" };
    if (axis.min !== undefined) options.min = axis.min;
    if (axis.max !== undefined) options.max = axis.max;
    if (axis.format) options.ticks.callback = formatter(axis);
    return options;
  }

  function categoryScale(axis, stacked) {
    // Every branch name of a horizontal chart is worth reading: no label is skipped.
    const options = scale(axis, stacked);
    options.ticks.autoSkip = false;
    return options;
  }

  function dataset(spec, item, index) {
    const color = PALETTE[item.color || CYCLE[index % CYCLE.length]];
    const colors = item.colors ? item.colors.map((name) => PALETTE[name]) : null;
    const type = item.type || spec.type;
    return {
      label: item.label,
      data: item.data,
      type: item.type,
      backgroundColor: colors || (type === "line" ? color : `${color}d9`),
      borderColor: colors || color,
      borderWidth: type === "line" ? 2 : 0,
      borderDash: item.dashed ? [6, 4] : [],
      pointRadius: type === "line" ? (item.dashed ? 0 : 2.5) : undefined,
      spanGaps: false,
      tension: 0.25,
      borderRadius: type === "bar" ? 3 : 0,
      order: type === "line" ? 0 : 1,
    };
  }

  function build(spec) {
    const horizontal = Boolean(spec.horizontal);
    const valueAxis = horizontal ? spec.x : spec.y;
    const datasets = spec.datasets.map((item, index) => dataset(spec, item, index));
    const format = formatter(valueAxis);
    return {
      type: spec.type,
      data: { labels: spec.labels, datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: horizontal ? "y" : "x",
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { display: spec.legend !== false && datasets.length > 1, position: "bottom", labels: { boxWidth: 12 } },
          tooltip: {
            callbacks: {
              label(context) {
                const counts = spec.datasets[context.datasetIndex].counts;
                const value = horizontal ? context.parsed.x : context.parsed.y;
                const extra = counts ? ` (${numbers.format(counts[context.dataIndex])} judged)` : "";
                return `${context.dataset.label}: ${format(value)}${extra}`;
              },
            },
          },
        },
        scales: {
          x: scale(spec.x, spec.stacked),
          y: horizontal ? categoryScale(spec.y, spec.stacked) : scale(spec.y, spec.stacked),
        },
      },
    };
  }

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#334155";
  for (const canvas of document.querySelectorAll("canvas[data-spec]")) {
    const spec = JSON.parse(document.getElementById(canvas.dataset.spec).textContent);
    new Chart(canvas, build(spec));
    canvas.dataset.rendered = "true";
  }
})();
