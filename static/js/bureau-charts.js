/* The bureau's dashboard charts (templates/bureau/_figure.html): every element with a
   data-chart attribute holds its figure as JSON ({kind, title, categories, series: [{key, name,
   unit, stack, line, data, text}]}) and is drawn with the vendored ECharts, SVG renderer.
   `text` is each number as the table under the chart writes it (money in the page's one
   format), so labels and tooltips say what the table says. The chart is a picture of the table
   (role="img"); no inline style reaches the page: tooltips are drawn inside the SVG. */
(function () {
  'use strict';

  var charts = [];

  function textOf(series, index) {
    var text = series.text && series.text[index];
    return text === undefined || text === null ? String(series.data[index]) : text;
  }

  function tooltip(trigger) {
    return { trigger: trigger, renderMode: 'richText', confine: true };
  }

  function axisFormatter(spec) {
    return function (params) {
      var lines = [params[0].name];
      params.forEach(function (p) {
        lines.push(p.seriesName + '：' + textOf(spec.series[p.seriesIndex], p.dataIndex));
      });
      return lines.join('\n');
    };
  }

  /* bar, stacked_bar and line: one category axis, a value axis (a second one for the series
     drawn as lines beside bars). */
  function axisOption(spec) {
    var many = spec.categories.length > 6;
    var hasLine = spec.kind !== 'line' && spec.series.some(function (s) { return s.line; });
    var yAxis = [{ type: 'value', minInterval: 1 }];
    if (hasLine) { yAxis.push({ type: 'value', splitLine: { show: false } }); }
    return {
      tooltip: Object.assign(tooltip('axis'), { formatter: axisFormatter(spec) }),
      legend: { top: 0, type: 'scroll' },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: {
        type: 'category',
        data: spec.categories,
        axisLabel: { hideOverlap: true, rotate: many ? 30 : 0 }
      },
      yAxis: yAxis,
      series: spec.series.map(function (s) {
        var asLine = spec.kind === 'line' || s.line;
        return {
          name: s.name,
          type: asLine ? 'line' : 'bar',
          yAxisIndex: s.line && hasLine ? 1 : 0,
          stack: !asLine && s.stack ? s.stack : undefined,
          data: s.data
        };
      })
    };
  }

  /* target: each metric and year as a horizontal bar of its share of the target (done / target,
     the first two series), with the 100 % line; the label gives both numbers. */
  function targetOption(spec) {
    var done = spec.series[0];
    var goal = spec.series[1] || spec.series[0];
    var shares = done.data.map(function (value, i) {
      var target = goal.data[i];
      return target ? Math.round((value || 0) / target * 1000) / 10 : null;
    });
    var label = function (i) { return textOf(done, i) + ' / ' + textOf(goal, i); };
    return {
      tooltip: Object.assign(tooltip('item'), {
        formatter: function (p) { return p.name + '\n' + label(p.dataIndex) + '（' + p.value + '%）'; }
      }),
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: 'value', max: function (v) { return Math.max(100, Math.ceil(v.max / 10) * 10); },
               axisLabel: { formatter: '{value}%' } },
      yAxis: { type: 'category', inverse: true, data: spec.categories },
      series: [{
        name: done.name,
        type: 'bar',
        data: shares,
        label: { show: true, position: 'right', formatter: function (p) { return p.value + '%'; } },
        markLine: { symbol: 'none', silent: true, label: { show: false }, data: [{ xAxis: 100 }] }
      }]
    };
  }

  function funnelOption(spec) {
    var s = spec.series[0];
    return {
      tooltip: Object.assign(tooltip('item'), {
        formatter: function (p) { return p.name + '：' + textOf(s, p.dataIndex); }
      }),
      series: [{
        name: s.name,
        type: 'funnel',
        sort: 'none',
        left: '5%',
        width: '90%',
        minSize: '8%',
        gap: 2,
        label: { show: true, position: 'inside',
                 formatter: function (p) { return p.name + ' ' + textOf(s, p.dataIndex); } },
        data: spec.categories.map(function (name, i) { return { name: name, value: s.data[i] }; })
      }]
    };
  }

  function optionFor(spec) {
    if (spec.kind === 'funnel') { return funnelOption(spec); }
    if (spec.kind === 'target') { return targetOption(spec); }
    return axisOption(spec);
  }

  function draw(element) {
    var spec;
    try {
      spec = JSON.parse(element.getAttribute('data-chart'));
    } catch (error) {
      return;
    }
    if (!spec || !spec.series || !spec.series.length) { return; }
    if (spec.kind === 'target') {  /* one bar per metric and year: as tall as it needs */
      element.style.height = Math.max(240, spec.categories.length * 30 + 40) + 'px';
    }
    var lang = (document.documentElement.lang || 'zh').toLowerCase();
    var chart = window.echarts.init(element, null, {
      renderer: 'svg',
      locale: lang.indexOf('zh') === 0 ? 'ZH' : 'EN'
    });
    chart.setOption(optionFor(spec));
    element.setAttribute('data-drawn', 'true');
    charts.push(chart);
  }

  function start() {
    if (!window.echarts) { return; }
    var elements = document.querySelectorAll('[data-chart]');
    for (var i = 0; i < elements.length; i += 1) { draw(elements[i]); }
    var pending = null;
    window.addEventListener('resize', function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(function () {
        charts.forEach(function (chart) { chart.resize(); });
      }, 150);
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
