// The map page: sign in, draw the sites in scope on the map, show a site's last hours on click.
// The surface-water sections are a layer of their own (GB 3838-2002 class colours, the 2011
// evaluation method's hues), switched on and off beside the sites; a click shows a section's samples.
//
// Old data look old: every value shows its time, and a site whose value is too old for the moment
// shown is grey with a dashed edge (the API's "stale").  The moment shown is now, or an hour picked
// in the time control, so history (the demo's 2013-2017 data) is shown at its own time.
//
// Chinese on the charts: ECharts draws text with the font named in textStyle.fontFamily and measures
// it on a canvas; a machine without CJK fonts (Debian's Chromium) would draw boxes.  Every chart
// names the vendored Noto Sans SC, and the slices of it that the text needs are loaded
// (document.fonts.load) before the chart is drawn.
// Everything comes from this server: the API under /api/v1, the legend at /map/legend.json, the
// boundaries and ECharts under /static/vendor.  Signing in is session.js's, shared with the cases
// pages: the token lives in sessionStorage, so closing the tab signs out; a 401 from any call means
// the token expired or was revoked: back to the form.

import { currentLanguage, LANGUAGES, setLanguage, t } from "./i18n.js";
import { authorisedFetch, forgetToken, guard, resume, SignedOut, signInHandler, token } from "./session.js";

const LANGUAGE_KEY = "ecowatch.language";
const REFRESH_MS = 60_000;
const SERIES_HOURS = 48;
// Beijing's outline is used when every site lies inside it [degrees: lon min, lat min, lon max, lat max].
const BEIJING_BOX = [115.4, 39.4, 117.55, 41.1];
// Smallest span of the view around the sites [degrees], so one site is not zoomed to a dot.
const MIN_SPAN_CHINA_DEG = 5;
const MIN_SPAN_BEIJING_DEG = 1;
// Room between the value axes stacked on the right of the series chart [px].
const AXIS_GAP_PX = 60;
const KIND_SYMBOLS = { air_station: "circle", water_section: "triangle", outlet: "rect" };
const FONT_FAMILY = '"Noto Sans SC", sans-serif';
// The districts' names on the Beijing outline in English (Hanyu Pinyin, as the districts write them).
const DISTRICTS_EN = {
  东城区: "Dongcheng", 西城区: "Xicheng", 朝阳区: "Chaoyang", 丰台区: "Fengtai", 石景山区: "Shijingshan",
  海淀区: "Haidian", 门头沟区: "Mentougou", 房山区: "Fangshan", 通州区: "Tongzhou", 顺义区: "Shunyi",
  昌平区: "Changping", 大兴区: "Daxing", 怀柔区: "Huairou", 平谷区: "Pinggu", 密云区: "Miyun", 延庆区: "Yanqing",
};
// The font spec document.fonts.load is given: the family and any size (the slices do not depend on it).
const FONT_SPEC = '16px "Noto Sans SC"';
// Every chart's words, and digits and Latin that axes and legends draw.
const FONT_BASE_TEXT = "0123456789 -–:.,()/%µ³°ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// Surface water: days of samples a section's panel shows, ending at its latest sample.
const WATER_DAYS = 7;
// Sections without coordinates are drawn around their city's seat on a sunflower spiral, this far
// apart [degrees], so that a city's sections do not hide one another.
const WATER_SPREAD_DEG = 0.09;
const GOLDEN_ANGLE = Math.PI * (3 - Math.sqrt(5));
// Spacing of a stale section's hatching, on its 48-px drawing [px]: white diagonal stripes on grey.
const HATCH_PX = 6;

const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);

const state = {
  sites: [],
  asOf: null,
  legend: null,
  user: null,
  openCode: null,
  series: null,
  refreshTimer: null,
  mapChart: null,
  seriesChart: null,
  mapsReady: null,
  viewKey: null,
  at: null, // the hour picked ("2017-02-28T23:00", Beijing time), or null: now
  shownAt: null,
  mapNames: "",
  water: null, // GET /api/v1/water/sections at the moment shown
  layers: { sites: true, water: true },
  openSection: null,
  samples: null,
  waterChart: null,
};

// ---------------------------------------------------------------- messages and language

function showMessage(text) {
  const box = $("message");
  box.textContent = text;
  box.hidden = !text;
}

function applyLanguage() {
  document.documentElement.lang = currentLanguage() === "zh" ? "zh-CN" : "en";
  for (const element of document.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
  const toggle = $("lang-switch");
  toggle.textContent = t("switch_to");
  toggle.lang = currentLanguage() === "zh" ? "en" : "zh-CN";
  $("map").setAttribute("aria-label", t("map_label"));
  document.title = `ecowatch · ${t("title")}`;
  if (state.user) renderAll();
}

function siteName(site) {
  return currentLanguage() === "en" && site.name_en ? site.name_en : site.name;
}

function category(site) {
  return currentLanguage() === "en" ? site.category_en : site.category_zh;
}

// "PM2.5 (µg/m³)"; a code without a unit (pH, or one the API has no unit for) stays bare.
function withUnit(label, unit) {
  return unit ? `${label} (${unit})` : label;
}

// "2016-01-03T23:00:00+08:00" -> "2016-01-03 23:00": the API's times are Beijing time already.
function hourLabel(iso) {
  return iso ? iso.slice(0, 16).replace("T", " ") : t("no_time");
}

// Loads the slices of the vendored font that `text` needs (unicode-range), so that ECharts measures
// and draws it in Noto Sans SC rather than in a fallback without Chinese glyphs.
async function fontFor(text) {
  if (!document.fonts?.load) return;
  await document.fonts.load(FONT_SPEC, FONT_BASE_TEXT + text);
}

function seriesName(code, series) {
  const name = currentLanguage() === "en" ? series.name_en : series.name_zh;
  return withUnit(name || code, series.unit);
}

// ---------------------------------------------------------------- the API

async function api(path) {
  return (await authorisedFetch(path, t)).json();
}

// Runs an API action; a lapsed sign-in goes back to the form, any other failure becomes the message.
const guarded = guard(signOut, showMessage);

// ---------------------------------------------------------------- sign in and out

function signOut(message = "") {
  forgetToken();
  clearInterval(state.refreshTimer);
  state.refreshTimer = null;
  state.user = null;
  state.sites = [];
  closePanel();
  closeWaterPanel();
  state.water = null;
  delete $("map").dataset.markers;
  state.viewKey = null;
  $("app").hidden = true;
  $("user").hidden = true;
  $("sign-out").hidden = true;
  $("as-of").hidden = true;
  $("time-control").hidden = true;
  $("time-note").hidden = true;
  $("water-note").hidden = true;
  $("login").hidden = false;
  showMessage(message);
  $("username").focus();
}

async function startApp() {
  const saved = token();
  if (!saved) {
    signOut();
    return;
  }
  state.user = saved.user;
  $("login").hidden = true;
  $("app").hidden = false;
  $("user").hidden = false;
  $("sign-out").hidden = false;
  $("time-control").hidden = false;
  renderUser();
  const ok = await guarded(async () => {
    await Promise.all([loadMaps(), loadLegend()]);
    await loadStatus();
  });
  if (ok) {
    clearInterval(state.refreshTimer);
    state.refreshTimer = setInterval(refreshStatus, REFRESH_MS);
  }
}

// ---------------------------------------------------------------- data

async function fetchJson(path) {
  let response;
  try {
    response = await fetch(path);
  } catch {
    throw new Error(t("network_error"));
  }
  if (!response.ok) throw new Error(t("server_error", { status: response.status, detail: path }));
  return response.json();
}

function loadMaps() {
  state.mapsReady ??= Promise.all([
    fetchJson("/static/vendor/echarts-map/china.json"),
    fetchJson("/static/vendor/echarts-map/beijing.json"),
  ]).then(async ([china, beijing]) => {
    window.echarts.registerMap("china", china);
    window.echarts.registerMap("beijing", beijing);
    // The districts' names are drawn on the Beijing outline.
    state.mapNames = beijing.features.map((feature) => feature.properties.name).join("");
    await fontFor(state.mapNames);
  }).catch((error) => {
    state.mapsReady = null;
    throw error;
  });
  return state.mapsReady;
}

async function loadLegend() {
  state.legend ??= await fetchJson("/map/legend.json");
}

async function loadStatus() {
  const query = state.at ? `?at=${encodeURIComponent(state.at)}` : "";
  const [body, water] = await Promise.all([
    api(`/api/v1/sites/status${query}`),
    api(`/api/v1/water/sections${query}`),
  ]);
  await fontFor(body.sites.map((site) => `${site.name}${site.category_zh ?? ""}`).join("")
    + water.sections.map((section) => `${section.name}${section.basin}${section.city ?? ""}${section.province}`).join(""));
  state.sites = body.sites;
  state.water = water;
  state.asOf = body.as_of;
  state.shownAt = body.at;
  renderAll();
  $("map").dataset.fonts = "loaded";
}

// Shows the map at `at` ("YYYY-MM-DDTHH:MM", Beijing time) or, with null, now.
async function showAt(at) {
  state.at = at ? `${at.slice(0, 13)}:00` : null;
  closePanel();
  closeWaterPanel();
  await guarded(loadStatus);
}

async function refreshStatus() {
  if (state.at) return; // a picked hour of history does not change
  try {
    await loadStatus();
    showMessage("");
  } catch (error) {
    if (error instanceof SignedOut) signOut(error.message);
    else showMessage(t("refresh_failed", { reason: error.message }));
  }
}

// ---------------------------------------------------------------- rendering

function renderUser() {
  $("user").textContent = t("user", { username: state.user.username, role: state.user.role });
}

function renderTime() {
  const shown = hourLabel(state.shownAt);
  $("at-input").value = state.shownAt ? state.shownAt.slice(0, 16) : "";
  const asOf = $("as-of");
  asOf.hidden = !state.shownAt;
  const moment = t(state.at ? "at_history" : "at_now", { time: shown });
  asOf.textContent = state.asOf ? `${moment} · ${t("latest_data", { time: hourLabel(state.asOf) })}` : moment;
  asOf.dataset.at = state.shownAt ?? "";
  // Sites whose data are old: say how many, and offer the hour of the latest of their values (the
  // demo's air stations end in February 2017 while its outlets report now).
  const stale = state.sites.filter((site) => site.stale);
  state.staleLatest = stale.length ? stale.map((site) => site.time).sort().at(-1) : null;
  $("time-note").hidden = stale.length === 0;
  if (stale.length) {
    const time = hourLabel(state.staleLatest);
    $("time-note-text").textContent = t("all_stale", { count: stale.length, time });
    $("at-latest").textContent = t("show_latest", { time });
  }
  renderWaterNote();
}

// The water sections' own note: their data (the demo's are of April 2021) may be far from the moment
// shown; offer the hour of their latest sample.
function renderWaterNote() {
  const water = state.water;
  const latest = water?.as_of ?? null;
  const stale = Boolean(water && state.layers.water && water.sections.length
    && water.sections.every((section) => section.stale || section.time === null));
  state.waterLatest = stale ? latest : null;
  $("water-note").hidden = !stale || latest === null;
  if (stale && latest !== null) {
    const time = hourLabel(latest);
    $("water-note-text").textContent = t("water_stale_note", { time, hours: water.stale_after_hours });
    $("at-latest-water").textContent = t("show_latest_water", { time });
  }
}

function renderAll() {
  renderUser();
  renderTime();
  renderLegend();
  renderWaterLegend();
  renderSiteList();
  renderSectionList();
  renderMap();
  if (state.series) renderSeries();
  if (state.samples) renderSamples();
}

function swatch(colour, kind = "air_station") {
  const mark = document.createElement("span");
  mark.className = `swatch ${kind}`;
  mark.style.backgroundColor = colour; // the colour only: a class may lay hatching over it
  return mark;
}

// The marker of a stale section: a grey triangle hatched with white diagonal stripes and a dashed
// edge, drawn once as an image (ECharts' SVG renderer draws neither decals nor fine patterns on a
// symbol, which it scales from a unit shape).
let staleSymbolUrl = null;
function staleSymbol(colour) {
  if (staleSymbolUrl) return staleSymbolUrl;
  const size = 48; // drawn at 48 px, shown at the marker's size: sharp on a phone's dense screen
  const tile = document.createElement("canvas");
  tile.width = tile.height = size;
  const context = tile.getContext("2d");
  const triangle = () => {
    context.beginPath();
    context.moveTo(size / 2, 2);
    context.lineTo(size - 2, size - 2);
    context.lineTo(2, size - 2);
    context.closePath();
  };
  triangle();
  context.fillStyle = colour;
  context.fill();
  context.save();
  triangle();
  context.clip();
  context.strokeStyle = "#ffffff";
  context.lineWidth = 3;
  for (let x = -size; x < size; x += HATCH_PX * 2) {
    context.beginPath();
    context.moveTo(x, size);
    context.lineTo(x + size, 0);
    context.stroke();
  }
  context.restore();
  triangle();
  context.setLineDash([6, 4]);
  context.lineWidth = 3;
  context.strokeStyle = "#263238";
  context.stroke();
  staleSymbolUrl = `image://${tile.toDataURL()}`;
  return staleSymbolUrl;
}

function renderLegend() {
  if (!state.legend) return;
  const list = document.querySelector(".legend-items");
  list.replaceChildren();
  const heading = document.createElement("li");
  heading.textContent = t("aqi_at");
  list.append(heading);
  for (const level of state.legend.levels) {
    const item = document.createElement("li");
    item.dataset.testid = "legend-level";
    item.dataset.level = level.level;
    const range = level.upper === null ? t("level_top", { lower: level.lower - 1 })
      : t("level_range", { lower: level.lower, upper: level.upper });
    const label = currentLanguage() === "en" ? level.category_en : `${level.roman_zh} ${level.category_zh}`;
    item.append(swatch(level.colour), `${label}  ${range}`);
    list.append(item);
  }
  for (const [colour, key, extra] of [[state.legend.reporting_colour, "reporting", ""],
    [state.legend.no_data_colour, "stale_legend", "stale"], [state.legend.no_data_colour, "no_data_legend", ""]]) {
    const item = document.createElement("li");
    item.dataset.testid = `legend-${key}`;
    const mark = swatch(colour, "outlet");
    if (extra) mark.classList.add(extra);
    item.append(mark, t(key));
    list.append(item);
  }
}

function renderSiteList() {
  const list = $("site-list");
  list.closest("section").hidden = !state.layers.sites;
  list.replaceChildren();
  $("site-count").textContent = String(state.sites.length);
  for (const site of state.sites) {
    // A site without coordinates is listed but cannot be drawn: say so, so the count adds up.
    const unplaced = site.lon === null || site.lat === null ? ` · ${t("no_place")}` : "";
    list.append(listItem({
      testid: "site-item",
      item: site,
      current: state.openCode,
      kind: site.kind,
      staleClass: "stale",
      name: siteName(site),
      value: site.aqi === null ? t(`kind_${site.kind}`) : `AQI ${site.aqi}`,
      valueClass: "aqi",
      timeTestid: "site-time",
      timeSuffix: unplaced,
      open: openPanel,
    }));
  }
}

// One entry of the site or section list: its swatch, name, value and the value's own time
// (month-day hour), and whether it is too old for the moment shown.
function listItem({ testid, item, current, kind, staleClass, name, value, valueClass, timeTestid, timeSuffix, open }) {
  const button = document.createElement("button");
  button.type = "button";
  button.dataset.testid = testid;
  button.dataset.code = item.code;
  button.dataset.colour = item.colour;
  button.dataset.stale = String(item.stale);
  button.setAttribute("aria-current", String(item.code === current));
  const label = document.createElement("span");
  label.className = "name";
  label.textContent = name;
  const figure = document.createElement("span");
  figure.className = valueClass;
  figure.textContent = value;
  const time = document.createElement("span");
  time.className = "time";
  if (timeTestid) time.dataset.testid = timeTestid;
  time.textContent = (item.time === null ? t("no_time")
    : `${hourLabel(item.time).slice(5)}${item.stale ? ` · ${t("stale")}` : ""}`) + (timeSuffix ?? "");
  const mark = swatch(item.colour, kind);
  if (item.stale) mark.classList.add(staleClass);
  button.append(mark, label, figure, time);
  button.addEventListener("click", () => open(item.code));
  const entry = document.createElement("li");
  entry.append(button);
  return entry;
}

function insideBeijing(site) {
  const [west, south, east, north] = BEIJING_BOX;
  return site.lon >= west && site.lon <= east && site.lat >= south && site.lat <= north;
}

// The outline and the view: Beijing's districts when all sites are in Beijing, else China's
// provinces; either framed around the sites, at least `minSpan` degrees wide.
function geoView(sites) {
  const placed = sites.filter((site) => site.lon !== null && site.lat !== null);
  if (placed.length === 0) return { map: "china", boundingCoords: null };
  const inBeijing = placed.every(insideBeijing);
  const minSpan = inBeijing ? MIN_SPAN_BEIJING_DEG : MIN_SPAN_CHINA_DEG;
  const lons = placed.map((site) => site.lon);
  const lats = placed.map((site) => site.lat);
  const centre = [(Math.min(...lons) + Math.max(...lons)) / 2, (Math.min(...lats) + Math.max(...lats)) / 2];
  // Each direction framed on its own extent, so that a country-wide spread of sections fills the
  // box rather than a square around it.
  const spanLon = Math.max(minSpan, 1.3 * (Math.max(...lons) - Math.min(...lons)));
  const spanLat = Math.max(minSpan, 1.3 * (Math.max(...lats) - Math.min(...lats)));
  return {
    map: inBeijing ? "beijing" : "china",
    boundingCoords: [[centre[0] - spanLon / 2, centre[1] + spanLat / 2], [centre[0] + spanLon / 2, centre[1] - spanLat / 2]],
  };
}

function tooltipText(site) {
  const encode = window.echarts.format.encodeHTML;
  const lines = [`<b>${encode(siteName(site))}</b> · ${encode(t(`kind_${site.kind}`))}`];
  if (site.aqi !== null) lines.push(`AQI ${site.aqi} · ${encode(category(site))}`);
  if (site.primary_pollutants.length) lines.push(`${encode(t("primary"))}: ${encode(site.primary_pollutants.join(", "))}`);
  const stale = site.stale ? ` (${t("stale")})` : "";
  lines.push(`${encode(t("value_time"))}: ${encode(hourLabel(site.time))}${encode(stale)}`);
  return lines.join("<br>");
}

function renderMap() {
  const element = $("map");
  // SVG: the markers are DOM elements, sharp at any zoom and visible to the browser test.
  state.mapChart ??= window.echarts.init(element, null, { renderer: "svg" });
  const chart = state.mapChart;
  if (!chart.__ecowatchHandlers) {
    chart.on("click", "series.scatter", (event) => (event.data.section
      ? openWaterPanel(event.data.code) : openPanel(event.data.code)));
    // data-markers appears once the markers are drawn (and clickable): the hook tests wait on.
    chart.on("finished", () => {
      const series = chart.getOption().series;
      element.dataset.markers = String(series[0]?.data.length ?? 0);
      element.dataset.waterMarkers = String(series[1]?.data.length ?? 0);
    });
    chart.__ecowatchHandlers = true;
  }
  delete element.dataset.markers;
  delete element.dataset.waterMarkers;
  const placed = [...(state.layers.sites ? state.sites : []), ...(state.layers.water ? waterPoints() : [])];
  const view = geoView(placed.length ? placed : state.sites);
  const option = {
    animation: false,
    textStyle: { fontFamily: FONT_FAMILY },
    // Only the markers have tooltips (a district's name is on the map already).  The geo component's
    // own tooltip setting would also switch off the markers' (ECharts inherits it), hence the test here.
    tooltip: { trigger: "item", textStyle: { fontFamily: FONT_FAMILY },
      formatter: (item) => (item.data?.site ? tooltipText(item.data.site)
        : item.data?.section ? waterTooltip(item.data.section) : "") },
    series: [{
      type: "scatter",
      coordinateSystem: "geo",
      symbolSize: 16,
      data: (state.layers.sites ? state.sites : []).filter((site) => site.lon !== null && site.lat !== null).map((site) => ({
        name: siteName(site),
        code: site.code,
        site,
        value: [site.lon, site.lat, site.aqi],
        symbol: KIND_SYMBOLS[site.kind] ?? "circle",
        // No value at all: a smaller, fainter mark than a site whose value is merely old.
        symbolSize: site.time === null ? 10 : 16,
        itemStyle: site.stale
          ? { color: site.colour, borderColor: "#263238", borderWidth: 1.2, borderType: "dashed", opacity: 0.8 }
          : { color: site.colour, borderColor: "#263238", borderWidth: 1.2, opacity: site.time === null ? 0.55 : 1 },
      })),
      emphasis: { scale: 1.5 },
    }, waterSeries()],
  };
  // The outline is set again only when the view changes, so the minute's refresh keeps the
  // person's zoom and pan.
  const viewKey = JSON.stringify({ ...view, language: currentLanguage() });
  if (viewKey !== state.viewKey) {
    option.geo = {
      map: view.map,
      boundingCoords: view.boundingCoords,
      roam: true,
      itemStyle: { areaColor: "#e9eef2", borderColor: "#8a9ba8", borderWidth: 0.8 },
      emphasis: { disabled: true },
      label: { show: view.map === "beijing", color: "#8a9ba8", fontSize: 11, fontFamily: FONT_FAMILY,
        formatter: (item) => (currentLanguage() === "en" ? DISTRICTS_EN[item.name] ?? item.name : item.name) },
    };
    state.viewKey = viewKey;
  }
  chart.setOption(option, { replaceMerge: option.geo ? ["series", "geo"] : ["series"] });
}

// ---------------------------------------------------------------- the panel of one site

async function openPanel(code) {
  closeWaterPanel();
  state.openCode = code;
  state.series = null;
  const panel = $("site-panel");
  panel.hidden = false;
  panel.dataset.code = code;
  panel.dataset.state = "loading";
  $("panel-title").textContent = code;
  $("panel-info").textContent = t("loading");
  for (const button of document.querySelectorAll('[data-testid="site-item"]')) {
    button.setAttribute("aria-current", String(button.dataset.code === code));
  }
  const ok = await guarded(async () => {
    const at = state.at ? `&at=${encodeURIComponent(state.at)}` : "";
    const body = await api(`/api/v1/sites/${encodeURIComponent(code)}/series?hours=${SERIES_HOURS}${at}`);
    await fontFor(`${body.site.name}${Object.values(body.pollutants).map((s) => s.name_zh + s.unit).join("")}`);
    if (state.openCode !== code) return; // another site was clicked meanwhile
    state.series = body;
    renderSeries();
  });
  if (!ok && state.openCode === code) panel.dataset.state = "error";
}

function closePanel() {
  state.openCode = null;
  state.series = null;
  $("site-panel").hidden = true;
  state.seriesChart?.clear();
}

function renderSeries() {
  const body = state.series;
  const site = body.site;
  const panel = $("site-panel");
  $("panel-title").textContent = `${siteName(site)} · ${site.code}`;
  const span = body.interval === "1h" ? t("series_title", { hours: SERIES_HOURS })
    : t("frames_title", { count: Object.values(body.pollutants)[0]?.points.length ?? 0 });
  const facts = [t(`kind_${site.kind}`), `${span}: ${hourLabel(body.from)} – ${hourLabel(body.to)}`];
  if (site.stale) facts.push(t("stale"));
  if (site.aqi !== null) facts.push(`AQI ${site.aqi} ${category(site)}`);
  $("panel-info").textContent = facts.join(" · ");

  // One value axis per unit (µg/m³, mg/m³, ...) and one for the AQI, each named with its unit.
  const units = [...new Set(Object.values(body.pollutants).map((series) => series.unit))];
  const hasAqi = body.aqi.some(([, value]) => value !== null);
  const yAxis = units.map((unit, index) => ({
    type: "value",
    name: index === 0 ? withUnit(t("concentration"), unit) : unit,
    position: index === 0 ? "left" : "right",
    offset: index === 0 ? 0 : (index - 1 + (hasAqi ? 1 : 0)) * AXIS_GAP_PX,
    nameTextStyle: { align: index === 0 ? "left" : "center" },
  }));
  if (hasAqi) yAxis.push({ type: "value", name: t("aqi_short"), position: "right", offset: 0, minInterval: 1 });
  if (yAxis.length === 0) yAxis.push({ type: "value" });
  const lines = Object.entries(body.pollutants).map(([pollutant, series]) => ({
    name: seriesName(pollutant, series),
    type: "line",
    showSymbol: false,
    connectNulls: false,
    yAxisIndex: units.indexOf(series.unit),
    data: series.points.map(([time, value]) => [time, value]),
  }));
  if (hasAqi) {
    lines.unshift({
      name: "AQI",
      type: "line",
      showSymbol: false,
      yAxisIndex: yAxis.length - 1,
      lineStyle: { width: 3, color: "#263238" },
      itemStyle: { color: "#263238" },
      data: body.aqi.map(([time, value]) => [time, value]),
    });
  }
  const element = $("site-chart");
  state.seriesChart ??= window.echarts.init(element, null, { renderer: "svg" });
  state.seriesChart.setOption({
    animation: false,
    textStyle: { fontFamily: FONT_FAMILY },
    grid: { left: 60, right: 30 + AXIS_GAP_PX * Math.max(0, yAxis.length - 1), top: 60, bottom: 30 },
    legend: { top: 0, type: "scroll" },
    tooltip: { trigger: "axis", formatter: seriesTooltip, textStyle: { fontFamily: FONT_FAMILY } },
    xAxis: {
      type: "time",
      axisLabel: { formatter: (value) => hourLabel(beijingIso(value)).slice(5) },
    },
    yAxis,
    series: lines,
  }, { notMerge: true });
  state.seriesChart.resize();
  const points = lines.reduce((count, line) => count + line.data.filter(([, value]) => value !== null).length, 0);
  element.dataset.points = String(points);
  if (points === 0) $("panel-info").textContent += ` · ${t("no_series")}`;
  panel.dataset.state = "loaded";
}

// The hour in Beijing time (ECharts would print the browser's zone) and each line's value.
function seriesTooltip(items) {
  const encode = window.echarts.format.encodeHTML;
  const lines = [encode(hourLabel(beijingIso(items[0].axisValue)))];
  for (const item of items) {
    const value = item.value[1];
    lines.push(`${item.marker}${encode(item.seriesName)}: ${value === null ? "—" : encode(String(value))}`);
  }
  return lines.join("<br>");
}

// An axis tick (epoch ms) as Beijing-time ISO, whatever the browser's own zone.
function beijingIso(epochMs) {
  return new Date(epochMs + 8 * 3600_000).toISOString().slice(0, 19) + "+08:00";
}

// ---------------------------------------------------------------- surface water

function sectionName(section) {
  return section.name; // the release names sections in Chinese only; codes stay out of sight
}

// "Ⅲ类 · 良好" / "Class III · good"; a section's class at its latest sample, or "not classified".
function classText(section) {
  if (section.class_number === null) return t("no_class");
  return currentLanguage() === "en"
    ? t("water_class", { roman: section.class_en, status: section.status_en })
    : t("water_class", { roman: section.class_zh, status: section.status_zh });
}

function placeName(section) {
  if (section.placed === "province") return section.province;
  return section.city ?? section.province;
}

function renderWaterLegend() {
  const list = $("legend-water");
  list.replaceChildren();
  const water = state.legend?.water;
  list.hidden = !water || !state.layers.water;
  if (!water) return;
  const heading = document.createElement("li");
  heading.textContent = t("water_legend");
  list.append(heading);
  for (const item of water.classes) {
    const entry = document.createElement("li");
    entry.dataset.testid = "legend-water-class";
    entry.dataset.class = item.number;
    const label = currentLanguage() === "en"
      ? t("water_class", { roman: item.label_en, status: item.status_en })
      : t("water_class", { roman: item.roman_zh, status: item.status_zh });
    entry.append(swatch(item.colour, "water_section"), label);
    list.append(entry);
  }
  const hours = water.stale_after_hours;
  for (const [key, extra] of [["water_stale_legend", "hatched"], ["water_no_data_legend", "small"],
    ["water_placed_legend", ""]]) {
    const entry = document.createElement("li");
    entry.dataset.testid = `legend-${key.replaceAll("_", "-")}`;
    const mark = swatch(key === "water_placed_legend" ? water.classes[2].colour : water.no_data_colour, "water_section");
    if (extra) mark.classList.add(extra);
    entry.append(mark, t(key, { hours }));
    list.append(entry);
  }
}

function renderSectionList() {
  const box = $("water-sections");
  const sections = state.water?.sections ?? [];
  box.hidden = !state.layers.water || sections.length === 0;
  const list = $("section-list");
  list.replaceChildren();
  $("section-count").textContent = String(sections.length);
  if (box.hidden) return;
  for (const section of sections) {
    list.append(listItem({
      testid: "section-item",
      item: section,
      current: state.openSection,
      kind: "water_section",
      staleClass: "hatched",
      name: `${sectionName(section)} · ${placeName(section)}`,
      value: section.time === null ? "" : classText(section),
      valueClass: "class",
      open: openWaterPanel,
    }));
  }
}

// The sections with a place on the map, those drawn at a seat spread around it (sunflower spiral,
// in code order, so a section keeps its spot from one refresh to the next).
function waterPoints() {
  const sections = (state.water?.sections ?? []).filter((section) => section.lon !== null && section.lat !== null);
  const bySeat = new Map();
  for (const section of sections) {
    if (section.placed === "section") continue;
    const key = `${section.lon},${section.lat}`;
    if (!bySeat.has(key)) bySeat.set(key, []);
    bySeat.get(key).push(section.code);
  }
  const rank = new Map();
  for (const codes of bySeat.values()) codes.sort().forEach((code, index) => rank.set(code, index));
  return sections.map((section) => {
    const index = rank.get(section.code) ?? 0;
    const radius = WATER_SPREAD_DEG * Math.sqrt(index);
    const angle = index * GOLDEN_ANGLE;
    const lon = section.lon + radius * Math.cos(angle) / Math.cos(section.lat * Math.PI / 180);
    return { section, lon, lat: section.lat + radius * Math.sin(angle) };
  });
}

function waterSeries() {
  const points = state.layers.water ? waterPoints() : [];
  return {
    id: "water",
    type: "scatter",
    coordinateSystem: "geo",
    symbol: "triangle",
    z: 3, // above the sites: a section drawn at a city's seat sits where the city's stations are
    data: points.map(({ section, lon, lat }) => ({
      name: sectionName(section),
      code: section.code,
      section,
      value: [lon, lat, section.class_number],
      ...(section.stale ? { symbol: staleSymbol(section.colour) } : {}),
      symbolSize: section.time === null ? 8 : 13,
      itemStyle: section.stale
        ? { color: section.colour, borderColor: "#263238", borderWidth: 1, borderType: "dashed" }
        : { color: section.colour, borderColor: "#263238", borderWidth: 1, opacity: section.time === null ? 0.55 : 1 },
    })),
    emphasis: { scale: 1.6 },
  };
}

function pollutantsText(section) {
  return section.main_pollutants.map((item) => {
    const name = currentLanguage() === "en" ? item.name_en : item.name_zh;
    return item.multiple === null ? name : `${name}(${item.multiple})`;
  }).join(currentLanguage() === "en" ? ", " : "、");
}

function waterTooltip(section) {
  const encode = window.echarts.format.encodeHTML;
  const waterbody = t(`waterbody_${section.waterbody}`);
  const lines = [`<b>${encode(sectionName(section))}</b> · ${encode(t("kind_water"))} (${encode(waterbody)})`];
  lines.push(`${encode(t("basin"))}: ${encode(section.basin)} · ${encode([section.province, section.city].filter(Boolean).join(" "))}`);
  if (section.time !== null) {
    lines.push(`${encode(t("class_ours"))}: ${encode(classText(section))}`
      + (section.published_class_zh ? ` · ${encode(t("class_published"))}: ${encode(section.published_class_zh)}` : ""));
    if (section.main_pollutants.length) lines.push(`${encode(t("main_pollutants"))}: ${encode(pollutantsText(section))}`);
  }
  const stale = section.stale ? ` (${t("stale")})` : "";
  lines.push(`${encode(t("value_time"))}: ${encode(hourLabel(section.time))}${encode(stale)}`);
  if (section.placed !== "section") lines.push(encode(t("placed_city", { place: placeName(section) })));
  return lines.join("<br>");
}

async function openWaterPanel(code) {
  closePanel();
  state.openSection = code;
  state.samples = null;
  const panel = $("water-panel");
  panel.hidden = false;
  panel.dataset.code = code;
  panel.dataset.state = "loading";
  const known = state.water?.sections.find((section) => section.code === code);
  $("water-title").textContent = known ? sectionName(known) : "";
  $("water-info").textContent = t("loading");
  $("water-table").replaceChildren();
  for (const button of document.querySelectorAll('[data-testid="section-item"]')) {
    button.setAttribute("aria-current", String(button.dataset.code === code));
  }
  const ok = await guarded(async () => {
    const at = state.at ? `&at=${encodeURIComponent(state.at)}` : "";
    const body = await api(`/api/v1/water/sections/${encodeURIComponent(code)}/samples?days=${WATER_DAYS}${at}`);
    await fontFor(`${body.section.name}${body.section.basin}${body.indicators.map((i) => i.name_zh + i.unit).join("")}`
      + "ⅠⅡⅢⅣⅤ劣类正常维护停站不具备运行条件未检出");
    if (state.openSection !== code) return;
    state.samples = body;
    renderSamples();
    // On a phone the panel is below the map and the lists: bring it into sight.
    if (window.matchMedia("(max-width: 700px)").matches) panel.scrollIntoView({ block: "start" });
  });
  if (!ok && state.openSection === code) panel.dataset.state = "error";
}

function closeWaterPanel() {
  state.openSection = null;
  state.samples = null;
  $("water-panel").hidden = true;
  state.waterChart?.clear();
}

function indicatorName(indicator) {
  const name = currentLanguage() === "en" ? indicator.name_en : indicator.name_zh;
  return withUnit(`${name} ${indicator.symbol}`, indicator.unit);
}

function renderSamples() {
  const body = state.samples;
  const section = body.section;
  const panel = $("water-panel");
  $("water-title").textContent = `${sectionName(section)} · ${section.basin} · ${placeName(section)}`;
  const facts = [t(`waterbody_${section.waterbody}`),
    `${t("water_samples_title", { days: WATER_DAYS })}: ${hourLabel(body.from)} – ${hourLabel(body.to)}`];
  // "水质类别 Ⅱ类 · 优"; in English the class names itself ("Class II · excellent").
  if (section.time !== null) {
    facts.push(currentLanguage() === "en" ? classText(section) : `${t("class_ours")} ${classText(section)}`);
  }
  if (section.stale) facts.push(t("stale"));
  if (body.samples.length === 0) facts.push(t("no_samples"));
  $("water-info").textContent = facts.join(" · ");

  // One small chart per main indicator, stacked, each axis named with its unit.
  const main = body.chart.map((code) => body.indicators.find((indicator) => indicator.code === code));
  const height = 100 / Math.max(1, main.length);
  const grid = main.map((_, index) => ({ left: 56, right: 16, top: `${index * height + 6}%`, height: `${height - 12}%` }));
  const xAxis = main.map((_, index) => ({
    type: "time", gridIndex: index, min: body.from, max: body.to,
    axisLabel: { show: index === main.length - 1, hideOverlap: true,
      formatter: (value) => hourLabel(beijingIso(value)).slice(5) },
  }));
  const yAxis = main.map((indicator, index) => ({
    type: "value", gridIndex: index, name: indicatorName(indicator), scale: true,
    nameTextStyle: { align: "left" }, splitNumber: 2,
  }));
  const series = main.map((indicator, index) => ({
    name: indicatorName(indicator),
    type: "line",
    xAxisIndex: index,
    yAxisIndex: index,
    showSymbol: true,
    symbolSize: 4,
    connectNulls: false,
    data: body.samples.map((sample) => [sample.time, sample.values[indicator.code]?.value ?? null]),
  }));
  const element = $("water-chart");
  state.waterChart ??= window.echarts.init(element, null, { renderer: "svg" });
  state.waterChart.setOption({
    animation: false,
    textStyle: { fontFamily: FONT_FAMILY },
    tooltip: { trigger: "axis", formatter: seriesTooltip, textStyle: { fontFamily: FONT_FAMILY } },
    axisPointer: { link: [{ xAxisIndex: "all" }] },
    grid, xAxis, yAxis, series,
  }, { notMerge: true });
  state.waterChart.resize();
  element.dataset.points = String(series.reduce((count, line) => count + line.data.filter(([, v]) => v !== null).length, 0));
  renderSampleTable(body);
  panel.dataset.state = "loaded";
}

// Newest first: the time, our class, the published one, the station's status and every indicator.
function renderSampleTable(body) {
  const table = $("water-table");
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const text of [t("sample_time"), t("class_ours"), t("class_published"), t("station_status"),
    ...body.indicators.map(indicatorName)]) {
    const cell = document.createElement("th");
    cell.textContent = text;
    head.append(cell);
  }
  const rows = table.createTBody();
  for (const sample of [...body.samples].reverse()) {
    const row = rows.insertRow();
    row.dataset.testid = "sample-row";
    row.insertCell().textContent = hourLabel(sample.time);
    const ours = row.insertCell();
    ours.className = "class-cell";
    if (sample.class_zh) {
      const badge = document.createElement("span");
      badge.textContent = sample.class_zh;
      badge.style.background = sample.colour;
      if (sample.published_class_zh && sample.published_class_zh !== sample.class_zh) badge.title = t("differs");
      ours.append(badge);
    }
    const published = row.insertCell();
    published.className = "class-cell";
    published.textContent = sample.published_class_zh ?? "";
    row.insertCell().textContent = currentLanguage() === "en" ? sample.station_status_en ?? "" : sample.station_status_zh ?? "";
    for (const indicator of body.indicators) {
      const cell = row.insertCell();
      const value = sample.values[indicator.code];
      if (!value) continue;
      cell.textContent = value.below_detection ? `<${value.value}` : String(value.value);
      if (value.below_detection) {
        cell.className = "bdl";
        cell.title = t("below_dl");
      }
    }
  }
}

function setLayer(name, shown) {
  state.layers[name] = shown;
  if (!shown && name === "water") closeWaterPanel();
  if (state.user) renderAll();
}

// ---------------------------------------------------------------- start

function start() {
  const saved = localStorage.getItem(LANGUAGE_KEY);
  setLanguage(LANGUAGES.includes(saved) ? saved : "zh");
  applyLanguage();
  $("login-form").addEventListener("submit", signInHandler({ t, showMessage, startApp }));
  $("sign-out").addEventListener("click", () => signOut());
  $("panel-close").addEventListener("click", closePanel);
  $("time-control").addEventListener("submit", (event) => event.preventDefault());
  $("at-input").addEventListener("change", (event) => { if (event.target.value) showAt(event.target.value); });
  $("at-now").addEventListener("click", () => showAt(null));
  $("at-latest").addEventListener("click", () => showAt(state.staleLatest.slice(0, 16)));
  $("at-latest-water").addEventListener("click", () => showAt(state.waterLatest.slice(0, 16)));
  $("water-close").addEventListener("click", closeWaterPanel);
  $("layer-sites").addEventListener("change", (event) => setLayer("sites", event.target.checked));
  $("layer-water").addEventListener("change", (event) => setLayer("water", event.target.checked));
  $("lang-switch").addEventListener("click", () => {
    setLanguage(currentLanguage() === "zh" ? "en" : "zh");
    localStorage.setItem(LANGUAGE_KEY, currentLanguage());
    applyLanguage();
  });
  // The map shrinks when the panel opens, and both follow the window: ECharts only redraws on resize().
  // A hidden box (signed out, panel closed) is 0×0: ECharts cannot lay out a map in it, so it waits
  // until the box is shown again, which fires the observer once more.
  const resizer = new ResizeObserver((entries) => {
    for (const { target, contentRect } of entries) {
      if (contentRect.width > 0 && contentRect.height > 0) window.echarts?.getInstanceByDom(target)?.resize();
    }
  });
  resizer.observe($("map"));
  resizer.observe($("site-chart"));
  resizer.observe($("water-chart"));
  resume({ t, startApp, signOut });
}

start();
