// gmpsim's HTML report: draws the plots of the page from the JSON in #gmpsim-data with uPlot (inlined
// before this script). The tables are already in the HTML; this only adds the plots. When every plot is
// drawn, <body> gets data-plots="N" (what the headless-Chromium test checks); an error goes to the console
// and to <body data-error>, and the plot's box says so.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("gmpsim-data").textContent);
  var palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];
  var plots = [];

  function colour(i) { return palette[i % palette.length]; }

  function fmt(v) {
    if (v == null || !isFinite(v)) return "–";
    var a = Math.abs(v);
    if (a === 0) return "0";
    if (a >= 1e6) return (v / 1e6).toPrecision(3) + "M";
    if (a >= 1e4) return (v / 1e3).toPrecision(3) + "k";
    if (a >= 1) return +v.toPrecision(4) + "";
    return +v.toPrecision(3) + "";
  }
  function fmtPct(v) { return v == null ? "–" : (100 * v).toFixed(1) + " %"; }
  // Axis tick labels: uPlot passes null for ticks it leaves unlabelled.
  function ticks(f) { return function (u, vals) { return vals.map(function (v) { return v == null ? "" : f(v); }); }; }
  var tickNum = ticks(fmt), tickPct = ticks(function (x) { return (100 * x).toFixed(0) + "%"; });

  // Errors after drawing (a redraw, the cursor) are caught here too, so the page says so.
  window.addEventListener("error", function (e) { document.body.setAttribute("data-error", String(e.message)); });

  function width(el) { return Math.max(320, el.clientWidth || (el.parentNode && el.parentNode.clientWidth) || 640); }

  // One uPlot in the element `id` (or a new element appended to `parent`).
  function plot(target, title, opts, aligned) {
    var el = typeof target === "string" ? document.getElementById(target) : target;
    if (!el) return;
    try {
      opts.title = title;
      opts.width = width(el);
      opts.height = opts.height || 260;
      opts.legend = opts.legend || { live: true };
      var u = new uPlot(opts, aligned, el);
      u.root.setAttribute("data-title", title);
      plots.push({ u: u, el: el });
    } catch (e) {
      el.textContent = "This plot could not be drawn: " + e;
      document.body.setAttribute("data-error", String(e));
      console.error("gmpsim report:", e);
    }
  }

  function newPlotBox(parent) {
    var div = document.createElement("div");
    div.className = "plot";
    parent.appendChild(div);
    return div;
  }

  function line(label, i, extra) {
    var s = { label: label, stroke: colour(i), width: 1.5, value: function (u, v) { return fmt(v); } };
    for (var k in extra || {}) s[k] = extra[k];
    return s;
  }

  // ---- latency: CDF and tail per kind -----------------------------------------------------------------
  var kinds = { latency: "Latency per class (arrival to exit)", wait: "Wait while runnable, per class", span: "Span latency" };
  Object.keys(data.cdf || {}).forEach(function (kind) {
    var p = data.cdf[kind];
    var xaxis = { scale: "x", label: "latency (µs)", values: tickNum };
    var cdf = [p.x], tail = [p.x], series = [{ label: "µs", value: function (u, v) { return fmt(v); } }], tseries = [series[0]];
    p.series.forEach(function (s, i) {
      cdf.push(s.y);
      tail.push(s.y.map(function (y) { return y == null || 1 - y <= 1e-9 ? null : 1 - y; }));
      var label = s.label + " (" + fmt(s.count) + ")";
      series.push(line(label, i, { value: function (u, v) { return v == null ? "–" : v.toFixed(4); } }));
      tseries.push(line(label, i, { value: function (u, v) { return v == null ? "–" : v.toExponential(2); } }));
    });
    plot("plot-cdf-" + kind, kinds[kind] + ": CDF", {
      scales: { x: { time: false, distr: 3 }, y: { range: [0, 1] } },
      series: series,
      axes: [xaxis, { label: "fraction ≤ x" }],
    }, cdf);
    plot("plot-tail-" + kind, kinds[kind] + ": tail", {
      scales: { x: { time: false, distr: 3 }, y: { distr: 3 } },
      series: tseries,
      axes: [xaxis, { label: "fraction > x", values: ticks(function (v) { return v.toExponential(0); }) }],
    }, tail);
  });

  // ---- time series ------------------------------------------------------------------------------------
  var ts = data.timeseries;
  var box = document.getElementById("timeseries-plots");
  var used = {};
  function column(name) {
    var i = ts.columns.indexOf(name);
    if (i < 0) return null;
    used[name] = true;
    return ts.data[i];
  }
  function matching(re) {
    return ts.columns.filter(function (c) { return re.test(c); });
  }
  function seriesPlot(title, ylabel, names, labels, scale, extraOpts) {
    var aligned = [ts.data[0]], series = [{ label: "t (s)", value: function (u, v) { return v == null ? "–" : v.toFixed(3); } }];
    names.forEach(function (n, i) {
      var c = column(n);
      if (!c) return;
      aligned.push(scale ? c.map(function (v) { return v == null ? null : v * scale; }) : c);
      series.push(line(labels ? labels[i] : n, i));
    });
    if (aligned.length < 2) return;
    var opts = { scales: { x: { time: false } }, series: series, axes: [{ label: "simulated time (s)" }, { label: ylabel, values: tickNum }] };
    for (var k in extraOpts || {}) opts[k] = extraOpts[k];
    plot(newPlotBox(box), title, opts, aligned);
  }
  if (ts && box) {
    used.t_s = true;
    seriesPlot("Goroutines", "goroutines", ["live", "runnable", "running"]);
    seriesPlot("OS threads", "threads", ["threads", "threads_idle"], ["threads (Ms)", "idle"]);
    // CPU split: goroutine work is the mean of the per-CPU columns; the model's others beside it.
    var cpus = matching(/^cpu\d+_busy$/);
    if (cpus.length) {
      var work = ts.data[0].map(function (_, r) {
        var s = 0, n = 0;
        cpus.forEach(function (c) { var v = column(c)[r]; if (v != null) { s += v; n++; } });
        return n ? s / n : null;
      });
      var names = ["cpu_runtime", "cpu_spinning", "cpu_other"];
      var aligned = [ts.data[0], work], series = [{ label: "t (s)" }, line("goroutines", 0, { value: function (u, v) { return fmtPct(v); } })];
      names.forEach(function (n, i) {
        var c = column(n);
        if (c) { aligned.push(c); series.push(line(n.replace("cpu_", "").replace("other", "other processes"), i + 1, { value: function (u, v) { return fmtPct(v); } })); }
      });
      plot(newPlotBox(box), "CPU split (fraction of all CPUs)", {
        scales: { x: { time: false }, y: { range: [0, 1] } }, series: series,
        axes: [{ label: "simulated time (s)" }, { label: "fraction of CPUs", values: tickPct }],
      }, aligned);
      seriesPlot("Goroutine work per CPU", "busy fraction", cpus, null, null, { scales: { x: { time: false }, y: { range: [0, 1] } } });
    }
    var ps = matching(/^p\d+_held$/);
    if (ps.length) seriesPlot("Ps held by an M", "held fraction", ps, null, null, { scales: { x: { time: false }, y: { range: [0, 1] } } });
    var heap = ["heap_live_bytes", "heap_goal_bytes", "heap_rss_bytes"].filter(function (n) { return ts.columns.indexOf(n) >= 0; });
    if (heap.length) seriesPlot("Heap", "MiB", heap, heap.map(function (n) { return n.replace("_bytes", "").replace("heap_", "heap "); }), 1 / 1048576);
    var gc = column("gc_cycles");
    if (gc) {
      var per = gc.map(function (v, r) { return r === 0 || v == null || gc[r - 1] == null ? v : v - gc[r - 1]; });
      plot(newPlotBox(box), "Garbage collection", {
        scales: { x: { time: false } },
        series: [{ label: "t (s)" }, line("cycles ended (cumulative)", 0), line("per interval", 1, { paths: uPlot.paths.bars({ size: [0.9, 8] }), fill: colour(1) + "55", scale: "n" })],
        axes: [{ label: "simulated time (s)" }, { label: "cycles" }, { scale: "n", side: 1, label: "per interval", grid: { show: false } }],
      }, [ts.data[0], gc, per]);
    }
    // Whatever else a model samples, so a new column is never silently left out.
    var rest = ts.columns.filter(function (c) { return !used[c]; });
    rest.forEach(function (c) { seriesPlot(c, c, [c]); });
  }

  // ---- per CPU and per P over the window ----------------------------------------------------------------
  function bars(target, title, xlabel, labels, values, ylabel) {
    var xs = labels.map(function (_, i) { return i; });
    plot(target, title, {
      scales: { x: { time: false, range: [-0.6, labels.length - 0.4] }, y: { range: [0, 1] } },
      series: [{ label: xlabel, value: function (u, v) { return v == null ? "" : labels[v]; } },
               { label: ylabel, stroke: colour(0), fill: colour(0) + "99", paths: uPlot.paths.bars({ size: [0.7, 60] }), points: { show: false }, value: function (u, v) { return fmtPct(v); } }],
      axes: [{ values: function (u, vals) { return vals.map(function (v) { return Number.isInteger(v) && v >= 0 && v < labels.length ? labels[v] : ""; }); }, splits: function () { return xs; } },
             { values: tickPct }],
      height: 220,
    }, [xs, values]);
  }
  if (data.cpu_busy && data.cpu_busy.length) {
    var cpuLabels = ts ? matching(/^cpu\d+_busy$/).map(function (c) { return c.replace("_busy", ""); }) : [];
    if (cpuLabels.length !== data.cpu_busy.length) cpuLabels = data.cpu_busy.map(function (_, i) { return "cpu" + i; });
    bars("plot-cpu-busy", "Goroutine work per CPU (measured window)", "CPU", cpuLabels, data.cpu_busy, "busy");
  }
  if (ts) {
    var pcols = matching(/^p\d+_held$/);
    if (pcols.length) {
      // Each P's held fraction over the measured window: the samples after the warm-up, weighted by interval.
      var t = ts.data[0], w0 = data.warmup_s || 0;
      var means = pcols.map(function (c) {
        var v = ts.data[ts.columns.indexOf(c)], s = 0, d = 0;
        for (var r = 0; r < t.length; r++) {
          var dt = t[r] - (r ? t[r - 1] : 0);
          if (t[r] - dt < w0 - 1e-12 || v[r] == null) continue;
          s += v[r] * dt; d += dt;
        }
        return d ? s / d : null;
      });
      bars("plot-p-busy", "Ps held by an M (measured window)", "P", pcols.map(function (c) { return c.replace("_held", ""); }), means, "held");
    }
  }

  // ---- capacity search ----------------------------------------------------------------------------------
  var cap = data.capacity;
  if (cap && cap.value.length) {
    var order = cap.value.map(function (_, i) { return i; }).sort(function (a, b) { return cap.value[a] - cap.value[b]; });
    var xv = order.map(function (i) { return cap.value[i]; });
    var pick = function (pass) { return order.map(function (i) { return cap.pass[i] === pass ? cap.stat[i] : null; }); };
    var capSeries = [{ label: cap.vary, value: function (u, v) { return fmt(v); } },
                     line("passed", 2, { paths: function () { return null; }, points: { show: true, size: 9, fill: colour(2) } }),
                     line("failed", 1, { paths: function () { return null; }, points: { show: true, size: 9, fill: colour(1) } })];
    var capData = [xv, pick(true), pick(false)];
    if (cap.bound_us != null) {
      capSeries.push(line("SLO bound", 8, { dash: [6, 4] }));
      capData.push(xv.map(function () { return cap.bound_us; }));
    }
    if (cap.stat.some(function (v) { return v != null; })) {
      // Log y: a saturated probe's statistic is orders of magnitude above the bound.
      plot("plot-capacity", "Probes: " + (cap.stat_name || "statistic") + " against " + cap.vary, {
        scales: { x: { time: false }, y: { distr: 3 } }, series: capSeries,
        axes: [{ label: cap.vary, values: tickNum }, { label: (cap.stat_name || "") + " (µs)", values: tickNum }],
      }, capData);
    }
  }

  // ---- sweep: the mean per point of each class's p50 and p99, and throughput ------------------------------
  var sw = data.sweep;
  if (sw && sw.rows.length) {
    var ci = function (n) { return sw.columns.indexOf(n); };
    var points = [], labelOf = {};
    sw.rows.forEach(function (r) {
      var p = +r[ci("point")];
      if (points.indexOf(p) < 0) points.push(p);
      labelOf[p] = sw.params.map(function (n) { return n.split(".").pop() + "=" + r[ci(n)]; }).join(" ");
    });
    points.sort(function (a, b) { return a - b; });
    var meanOf = function (col) {
      var k = ci(col);
      return points.map(function (p) {
        var s = 0, n = 0;
        sw.rows.forEach(function (r) { if (+r[ci("point")] === p && r[k] !== "" && isFinite(+r[k])) { s += +r[k]; n++; } });
        return n ? s / n : null;
      });
    };
    var pointRange = [points[0] - 0.5, points[points.length - 1] + 0.5];  // room for the end labels
    var pointAxis = { label: "point", values: function (u, vals) { return vals.map(function (v) { return Number.isInteger(v) && labelOf[v] != null ? labelOf[v] : ""; }); },
                      splits: function () { return points; }, rotate: 0 };
    var latCols = sw.columns.filter(function (c) { return /^latency_us\..*\.(p50|p99)$/.test(c); });
    if (latCols.length) {
      plot("plot-sweep-latency", "Latency per point (mean over repeats)", {
        scales: { x: { time: false, range: pointRange }, y: { distr: 3 } },
        series: [{ label: "point", value: function (u, v) { return labelOf[v] || v; } }].concat(latCols.map(function (c, i) { return line(c.replace("latency_us.", ""), i, { points: { show: true } }); })),
        axes: [pointAxis, { label: "µs", values: tickNum }],
      }, [points].concat(latCols.map(meanOf)));
    }
    if (ci("throughput_per_s") >= 0) {
      plot("plot-sweep-throughput", "Throughput and CPU per point (mean over repeats)", {
        scales: { x: { time: false, range: pointRange }, cpu: { range: [0, 1] } },
        series: [{ label: "point", value: function (u, v) { return labelOf[v] || v; } },
                 line("throughput /s", 0, { points: { show: true } }),
                 line("CPU utilization", 1, { scale: "cpu", points: { show: true }, value: function (u, v) { return fmtPct(v); } })],
        axes: [pointAxis, { label: "per second", values: tickNum },
               { scale: "cpu", side: 1, grid: { show: false }, values: tickPct }],
      }, [points, meanOf("throughput_per_s"), meanOf("cpu_utilization")]);
    }
  }

  // Plots follow the page's width.
  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      plots.forEach(function (p) { p.u.setSize({ width: width(p.el), height: p.u.height }); });
    }, 100);
  });
  document.body.setAttribute("data-plots", String(plots.length));
})();
