// The closed-loop cases pages: the list with filters, a case with its nodes and timeline and the moves
// the signed-in user may make, the board by state, the overdue list.
//
// One script for the four pages (body[data-page]).  Sign-in is the map page's (session.js): the same
// token in sessionStorage, so a person who signed in on the map is signed in here too, and a 401 from
// any call goes back to the form.  The names of states, actions, kinds and escalation steps come from the
// server (/cases/labels.json), Chinese with English beside; times are shown in Beijing time, as the
// API gives them.

import { currentLanguage, LANGUAGES, setLanguage } from "./i18n.js";
import { authorisedFetch, forgetToken, guard, resume, signInHandler, STATUS_WORDS, token } from "./session.js";

const LANGUAGE_KEY = "ecowatch.language";
const PAGE_SIZE = 50;
// Characters of a SHA-256 shown in the timeline (the whole hash is in the title attribute).
const SHORT_HASH = 12;

const WORDS = {
  zh: {
    title: "督办案件",
    switch_to: "English",
    nav_list: "案件清单",
    nav_board: "状态看板",
    nav_overdue: "逾期清单",
    nav_stats: "统计",
    petition: "信访件办理",
    received_at: "收到时间",
    accepted_at: "受理时间",
    answered_at: "答复时间",
    accept_by: "受理时限",
    handle_by: "办理时限",
    outcome: "办结情况",
    duplicate_of: "重复于",
    duplicates: "重复件",
    finding: "回访情况",
    satisfied: "群众满意",
    not_satisfied: "群众不满意",
    record_visit: "记录回访",
    set_outcome: "设定",
    duplicate_of_input: "重复件：与此编号为同一事项",
    link_duplicate: "关联",
    outcome_closed: "已办结 closed",
    outcome_stage_closed: "阶段性办结 stage-closed",
    saved: "已保存",
    nav_notifications: "通知",
    read_all: "全部标为已读",
    notifications_total: "共 {total} 条，未读 {unread} 条",
    no_notifications: "没有通知。",
    created: "时间",
    unread_mark: "未读",
    nav_map: "站点地图",
    api_docs: "API 文档",
    sign_in_title: "登录",
    username: "用户名",
    password: "密码",
    sign_in: "登录",
    sign_out: "退出",
    signing_in: "正在登录……",
    user: "{username}（{role}）",
    batch: "批次",
    region: "区域",
    state: "状态",
    kind: "类型",
    any: "全部",
    overdue_only: "只看逾期",
    apply: "筛选",
    download_csv: "下载 CSV",
    download_xlsx: "下载 Excel",
    code: "编号",
    case_title: "问题",
    deadline: "整改时限",
    days_overdue: "逾期天数",
    escalation: "督办",
    previous: "上一页",
    next: "下一页",
    page_info: "第 {from}–{to} 条，共 {total} 条",
    total: "共 {total} 件",
    no_cases: "没有符合条件的案件。",
    as_of: "数据时间 {time}（北京时间）",
    nodes: "节点",
    due: "节点时限",
    task: "节点任务",
    node_state: "完成情况",
    node_done: "已完成",
    node_open: "未完成",
    escalations: "督办记录",
    no_escalations: "无督办记录。",
    node_n: "节点 {n}",
    case_deadline: "整改时限",
    moves: "办理",
    reason: "意见 / 理由",
    evidence: "佐证材料",
    choose_files: "选择文件",
    no_files: "未选择文件",
    node_action: "操作",
    mark_done: "标记完成",
    node_marked: "节点 {n} 已标记完成",
    no_moves: "您的角色在此状态下没有可办理的操作。",
    needs_evidence: "提交销号申请须附至少一份佐证材料。",
    needs_reason: "退回、重新打开须填写理由。",
    moved: "已{action}：{from} → {to}",
    timeline: "办理过程",
    no_history: "尚无办理记录。",
    lead_unit: "责任单位",
    cooperating_units: "配合单位",
    responsible: "责任人",
    measures: "整改措施",
    description: "问题描述",
    none: "无",
    counted_due: "计算时限",
    missing_fields: "请输入用户名和密码。",
    bad_login: "用户名或密码错误。",
    expired: "登录已过期，请重新登录。",
    forbidden: "无权操作：{detail}",
    not_found: "未找到：{detail}",
    refused: "未能办理：{detail}",
    server_error: "服务器错误（HTTP {status}）：{detail}",
    network_error: "无法连接 ecowatch 服务器，请检查网络后重试。",
    bad_region: "区域代码为 6 位数字（GB/T 2260），例如 110105。",
    by_state: "按状态",
    by_escalation: "按督办步骤（最高一级）",
    by_region: "分区域清单",
    by_unit: "分责任单位清单",
    trend: "月度趋势（北京时间）",
    month: "月份",
    opened: "新增",
    closed_n: "销号",
    reopened: "重新打开",
    total_n: "总数",
    closed_count: "已销号",
    on_schedule: "按期推进",
    overdue_n: "逾期",
    closing_rate: "销号率",
    unit: "责任单位",
    no_batch: "尚无批次。",
    cases_n: "{n} 件",
  },
  en: {
    title: "Supervised cases",
    switch_to: "中文",
    nav_list: "Cases",
    nav_board: "Board",
    nav_overdue: "Overdue",
    nav_stats: "Statistics",
    petition: "Petition handling",
    received_at: "Received",
    accepted_at: "Accepted",
    answered_at: "Answered",
    accept_by: "Accept by",
    handle_by: "Handle by",
    outcome: "Outcome",
    duplicate_of: "Duplicate of",
    duplicates: "Duplicates",
    finding: "Follow-up visit finding",
    satisfied: "Petitioner satisfied",
    not_satisfied: "Petitioner not satisfied",
    record_visit: "Record visit",
    set_outcome: "Set",
    duplicate_of_input: "Duplicate: the same matter as case",
    link_duplicate: "Link",
    outcome_closed: "closed",
    outcome_stage_closed: "stage-closed",
    saved: "Saved",
    nav_notifications: "Notifications",
    read_all: "Mark all read",
    notifications_total: "{total} notifications, {unread} unread",
    no_notifications: "No notification.",
    created: "Time",
    unread_mark: "unread",
    nav_map: "Site map",
    api_docs: "API documentation",
    sign_in_title: "Sign in",
    username: "User name",
    password: "Password",
    sign_in: "Sign in",
    sign_out: "Sign out",
    signing_in: "Signing in…",
    user: "{username} ({role})",
    batch: "Batch",
    region: "Region",
    state: "State",
    kind: "Kind",
    any: "All",
    overdue_only: "Overdue only",
    apply: "Filter",
    download_csv: "Download CSV",
    download_xlsx: "Download Excel",
    code: "Code",
    case_title: "Problem",
    deadline: "Deadline",
    days_overdue: "Days overdue",
    escalation: "Escalation",
    previous: "Previous",
    next: "Next",
    page_info: "{from}–{to} of {total}",
    total: "{total} cases",
    no_cases: "No case matches.",
    as_of: "Data as of {time} (Beijing time)",
    nodes: "Nodes",
    due: "Due",
    task: "Task",
    node_state: "Done",
    node_done: "done",
    node_open: "open",
    escalations: "Escalations",
    no_escalations: "No escalation.",
    node_n: "node {n}",
    case_deadline: "deadline",
    moves: "Moves",
    reason: "Opinion / reason",
    evidence: "Evidence files",
    choose_files: "Choose files",
    no_files: "no file chosen",
    node_action: "Action",
    mark_done: "Mark done",
    node_marked: "Node {n} marked done",
    no_moves: "Your role has no move on a case in this state.",
    needs_evidence: "A submission needs at least one evidence file.",
    needs_reason: "A return or a reopening needs a reason.",
    moved: "{action}: {from} → {to}",
    timeline: "Timeline",
    no_history: "No move yet.",
    lead_unit: "Lead unit",
    cooperating_units: "Cooperating units",
    responsible: "Responsible person",
    measures: "Measures",
    description: "Description",
    none: "none",
    counted_due: "Due (counted on)",
    missing_fields: "Enter a user name and a password.",
    bad_login: "Wrong user name or password.",
    expired: "Your sign-in has expired: please sign in again.",
    forbidden: "Not allowed: {detail}",
    not_found: "Not found: {detail}",
    refused: "Refused: {detail}",
    server_error: "Server error (HTTP {status}): {detail}",
    network_error: "Cannot reach the ecowatch server: check the network and try again.",
    bad_region: "A region code is 6 digits (GB/T 2260), e.g. 110105.",
    by_state: "By state",
    by_escalation: "By escalation step (highest)",
    by_region: "Itemised by region",
    by_unit: "Itemised by lead unit",
    trend: "Trend by month (Beijing time)",
    month: "Month",
    opened: "Opened",
    closed_n: "Closed",
    reopened: "Reopened",
    total_n: "Total",
    closed_count: "Closed",
    on_schedule: "On schedule",
    overdue_n: "Overdue",
    closing_rate: "Closing rate",
    unit: "Lead unit",
    no_batch: "No batch yet.",
    cases_n: "{n} cases",
  },
};

const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
const page = document.body.dataset.page;

const state = {
  user: null, labels: null, facets: null, offset: 0, lastList: null, current: null, filters: {}, stats: null,
};

function t(key, values = {}) {
  const text = WORDS[currentLanguage()][key];
  if (text === undefined) throw new Error(`no text for ${key} in ${currentLanguage()}`);
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

// ---------------------------------------------------------------- names and times

// A label of the server's table as "中文 English": Chinese first, English beside (in English: the
// English only, the Chinese in the title attribute).
function label(group, code) {
  const entry = state.labels?.[group]?.[code];
  if (!entry) return code ?? "";
  return currentLanguage() === "zh" ? `${entry.zh} ${entry.en}` : entry.en;
}

function labelElement(group, code, extraClass = "") {
  const span = document.createElement("span");
  const entry = state.labels?.[group]?.[code];
  span.className = `tag ${group}-${code} ${extraClass}`.trim();
  span.dataset.code = code ?? "";
  if (!entry) {
    span.textContent = code ?? "";
    return span;
  }
  if (currentLanguage() === "zh") {
    const zh = document.createElement("span");
    zh.textContent = entry.zh;
    const en = document.createElement("span");
    en.className = "en";
    en.lang = "en";
    en.textContent = entry.en;
    span.append(zh, " ", en);
  } else {
    span.textContent = entry.en;
    span.title = entry.zh;
  }
  return span;
}

// ISO time (any offset) -> "YYYY-MM-DD HH:MM" in Beijing time, whatever the browser's own zone.
function beijing(iso) {
  if (!iso) return "";
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 16).replace("T", " ");
}

function regionText(code, name) {
  return name ? `${name}（${code}）` : code;
}

function cell(content) {
  const td = document.createElement("td");
  if (content instanceof Node) td.append(content);
  else td.textContent = content ?? "";
  return td;
}

// The one row of an empty table: "no case", one cell across its `columns`.
function noCasesRow(columns) {
  const tr = document.createElement("tr");
  const td = cell(t("no_cases"));
  td.colSpan = columns;
  tr.append(td);
  return tr;
}

// Each cell names its column (data-label), for the phone width where a row is shown as a card.
function labelCells(table, rows) {
  const names = [...table.querySelectorAll("thead th")].map((th) => th.textContent);
  for (const row of rows) {
    if (row.children.length < names.length) continue; // "no case": one cell across
    [...row.children].forEach((td, index) => { td.dataset.label = names[index]; });
  }
}

function caseLink(code) {
  const a = document.createElement("a");
  a.href = `/cases/${encodeURIComponent(code)}`;
  a.textContent = code;
  a.dataset.testid = "case-link";
  return a;
}

function escalationCell(step) {
  return step ? labelElement("steps", step, "step") : document.createTextNode("—");
}

function overdueText(days) {
  return days > 0 ? String(days) : "0";
}

// ---------------------------------------------------------------- messages and language

function showMessage(text) {
  const box = $("message");
  box.textContent = text;
  box.hidden = !text;
}

function showNotice(text) {
  const box = $("notice");
  box.textContent = text;
  box.hidden = !text;
}

function applyLanguage() {
  document.documentElement.lang = currentLanguage() === "zh" ? "zh-CN" : "en";
  for (const element of document.querySelectorAll("[data-w]")) element.textContent = t(element.dataset.w);
  const toggle = $("lang-switch");
  toggle.textContent = t("switch_to");
  toggle.lang = currentLanguage() === "zh" ? "en" : "zh-CN";
  document.title = `ecowatch · ${t("title")}`;
  if (state.user) {
    renderUser();
    fillSelects();
    renderCurrent();
  }
}

// ---------------------------------------------------------------- the API

// A move refused by the workflow (409) or by the checks (422) is said as such.
const WORDS_OF_STATUS = Object.freeze({ ...STATUS_WORDS, 409: "refused", 422: "refused" });

async function call(path, options = {}) {
  return authorisedFetch(path, t, { ...options, words: WORDS_OF_STATUS });
}

async function api(path, options) {
  return (await call(path, options)).json();
}

const guarded = guard(signOut, showMessage);

// A download needs the bearer token, so it is fetched and handed to the browser as a blob.
async function download(path, filename) {
  const response = await call(path, { headers: { Accept: "*/*" } });
  const blob = await response.blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

// ---------------------------------------------------------------- sign in and out

function signOut(message = "") {
  forgetToken();
  state.user = null;
  state.current = null;
  $("app").hidden = true;
  $("app").removeAttribute("data-state");
  $("user").hidden = true;
  $("sign-out").hidden = true;
  $("login").hidden = false;
  showNotice("");
  showMessage(message);
  $("username").focus();
}

function renderUser() {
  const role = state.labels ? label("roles", state.user.role) : state.user.role;
  $("user").textContent = t("user", { username: state.user.username, role });
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
  renderUser();
  await guarded(async () => {
    state.labels ??= await (await fetch("/cases/labels.json")).json();
    if (page !== "case") state.facets = await api("/api/v1/cases/facets");
    renderUser();
    fillSelects();
    await load();
  });
}

// ---------------------------------------------------------------- loading

function setAsOf(iso) {
  $("as-of").textContent = iso ? t("as_of", { time: beijing(iso) }) : "";
  $("as-of").dataset.at = iso ?? "";
}

function filtersFromUrl() {
  const query = new URLSearchParams(location.search);
  const filters = {};
  for (const key of ["batch", "region", "state", "kind"]) {
    const value = query.get(key);
    if (value) filters[key] = value;
  }
  if (query.get("overdue") === "true") filters.overdue = "true";
  return filters;
}

function caseCode() {
  return decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] ?? "");
}

async function load() {
  if (page === "list") await loadList();
  else if (page === "case") await loadCase();
  else if (page === "board") await loadBoard();
  else if (page === "overdue") await loadOverdue();
  else if (page === "stats") await loadStats();
  else if (page === "notifications") await loadNotifications();
  if (page !== "notifications") await loadUnread();
  $("app").dataset.state = "loaded";
}

function listQuery(extra = {}) {
  const query = new URLSearchParams({ ...state.filters, ...extra });
  return query.toString();
}

async function loadList() {
  const body = await api(`/api/v1/cases?${listQuery({ limit: PAGE_SIZE, offset: state.offset })}`);
  state.lastList = body;
  renderList();
}

async function loadCase() {
  state.current = await api(`/api/v1/cases/${encodeURIComponent(caseCode())}`);
  renderCase();
}

async function loadBoard() {
  state.lastList = await api(`/api/v1/cases/board?${listQuery()}`);
  renderBoard();
}

async function loadOverdue() {
  state.lastList = await api(`/api/v1/cases/overdue?${listQuery()}`);
  renderOverdue();
}

function renderCurrent() {
  if (!state.labels) return;
  if (page === "notifications") {
    if (state.notes) renderNotifications();
    return;
  }
  if (page === "stats") {
    if (state.stats) renderStats();
    return;
  }
  if (page === "case" && state.current) renderCase();
  else if (page !== "case" && state.lastList) {
    if (page === "list") renderList();
    else if (page === "board") renderBoard();
    else renderOverdue();
  }
}

// ---------------------------------------------------------------- the list

function fillSelects() {
  for (const [testid, group] of [["f-state", "states"], ["f-kind", "kinds"]]) {
    const select = $(testid);
    if (!select) continue;
    const name = select.name;
    select.replaceChildren(new Option(t("any"), ""));
    for (const code of Object.keys(state.labels[group])) select.append(new Option(label(group, code), code));
    select.value = state.filters[name] ?? "";
  }
  if (state.facets) {
    const batches = state.facets.batches.map((b) => [b.code, `${b.code}（${t("cases_n", { n: b.cases })}）`]);
    const depth = { province: 0, city: 1, county: 2 };
    const regions = state.facets.regions.map((r) => [r.code, `${"　".repeat(depth[r.level] ?? 0)}${r.name}（${r.code}）`]);
    for (const [testid, options, any] of [
      ["f-batch", batches, true], ["b-batch", batches, true], ["s-batch", batches, false],
      ["f-region", regions, true], ["b-region", regions, true],
    ]) {
      const select = $(testid);
      if (!select) continue;
      select.replaceChildren(...(any ? [new Option(t("any"), "")] : []), ...options.map(([v, text]) => new Option(text, v)));
    }
  }
  for (const form of [$("filters"), $("board-filters"), $("stats-filters")]) {
    if (!form) continue;
    for (const key of ["batch", "region"]) if (form[key]) form[key].value = state.filters[key] ?? "";
    if (form.overdue) form.overdue.checked = state.filters.overdue === "true";
  }
}

function renderList() {
  const body = state.lastList;
  setAsOf(body.as_of);
  const rows = body.items.map((item) => {
    const tr = document.createElement("tr");
    tr.dataset.testid = "case-row";
    tr.dataset.code = item.code;
    tr.dataset.state = item.state;
    tr.append(
      cell(caseLink(item.code)),
      cell(item.title),
      cell(labelElement("kinds", item.kind)),
      cell(item.batch),
      cell(regionText(item.region, item.region_name)),
      cell(labelElement("states", item.state)),
      cell(item.deadline),
      cell(overdueText(item.days_overdue)),
      cell(escalationCell(item.escalation)),
    );
    if (item.days_overdue > 0) tr.classList.add("late");
    return tr;
  });
  if (!rows.length) rows.push(noCasesRow(9));
  labelCells($("case-table"), rows);
  $("case-rows").replaceChildren(...rows);
  $("list-total").textContent = t("total", { total: body.total });
  const last = Math.min(body.offset + body.items.length, body.total);
  $("page-info").textContent = t("page_info", { from: body.total ? body.offset + 1 : 0, to: last, total: body.total });
  $("page-prev").disabled = body.offset === 0;
  $("page-next").disabled = last >= body.total;
}

function readFilters(form) {
  const filters = {};
  for (const key of ["batch", "region", "state", "kind"]) {
    const value = form[key]?.value?.trim();
    if (value) filters[key] = value;
  }
  if (form.overdue?.checked) filters.overdue = "true";
  if (filters.region && !/^\d{6}$/.test(filters.region)) throw new Error(t("bad_region"));
  return filters;
}

async function applyFilters(event) {
  event.preventDefault();
  try {
    state.filters = readFilters(event.target);
  } catch (error) {
    showMessage(error.message);
    return;
  }
  showMessage("");
  state.offset = 0;
  history.replaceState(null, "", `${location.pathname}${Object.keys(state.filters).length ? "?" : ""}${listQuery()}`);
  await guarded(load);
}

// ---------------------------------------------------------------- one case

function fact(list, key, value) {
  const dt = document.createElement("dt");
  dt.textContent = t(key);
  const dd = document.createElement("dd");
  dd.dataset.testid = `fact-${key}`;
  if (value instanceof Node) dd.append(value);
  else dd.textContent = value === null || value === undefined || value === "" ? t("none") : value;
  list.append(dt, dd);
}

function renderCase() {
  const c = state.current;
  setAsOf(c.as_of);
  document.title = `ecowatch · ${c.code} ${c.title}`;
  $("case-code").textContent = c.code;
  $("case-title").textContent = c.title;
  $("case").dataset.state = c.state;
  const facts = $("case-facts");
  facts.replaceChildren();
  fact(facts, "state", labelElement("states", c.state));
  fact(facts, "kind", labelElement("kinds", c.kind));
  fact(facts, "batch", c.batch);
  fact(facts, "region", regionText(c.region, c.region_name));
  fact(facts, "deadline", c.deadline);
  fact(facts, "days_overdue", overdueText(c.days_overdue));
  fact(facts, "lead_unit", c.lead_unit);
  fact(facts, "cooperating_units", (c.cooperating_units ?? []).join("；"));
  fact(facts, "responsible", c.responsible);
  fact(facts, "measures", c.measures);
  fact(facts, "description", c.description);

  $("node-rows").replaceChildren(
    ...c.nodes.map((node, index) => {
      const tr = document.createElement("tr");
      tr.dataset.testid = "node-row";
      let action = document.createTextNode("");
      if (!node.done && c.may_complete_nodes) {
        action = document.createElement("button");
        action.type = "button";
        action.className = "node-done";
        action.dataset.testid = "node-done";
        action.textContent = t("mark_done");
        action.addEventListener("click", () => markDone(node.key));
      }
      tr.dataset.key = node.key;
      tr.append(
        cell(String(node.key ?? index + 1)),
        cell(node.due),
        cell(node.task),
        cell(node.done ? t("node_done") : t("node_open")),
        cell(node.done ? "—" : overdueText(node.days_overdue)),
        cell(action),
      );
      if (!node.done && node.days_overdue > 0) tr.classList.add("late");
      return tr;
    }),
  );

  const escalations = c.escalations.map((step) => {
    const li = document.createElement("li");
    li.dataset.testid = "escalation";
    li.dataset.step = step.step;
    const where = step.node === null || step.node === undefined ? t("case_deadline") : t("node_n", { n: step.node });
    li.append(labelElement("steps", step.step, "step"), ` · ${where} · ${beijing(step.at)}`);
    return li;
  });
  if (!escalations.length) {
    const li = document.createElement("li");
    li.textContent = t("no_escalations");
    escalations.push(li);
  }
  $("escalations").replaceChildren(...escalations);

  renderMoves(c);
  renderPetition(c);
  renderTimeline(c.history);
}

function renderPetition(c) {
  const box = $("petition");
  box.hidden = !c.petition;
  if (!c.petition) return;
  const p = c.petition;
  const facts = $("petition-facts");
  facts.replaceChildren();
  fact(facts, "received_at", beijing(p.received_at));
  fact(facts, "accept_by", p.accept_by);
  fact(facts, "accepted_at", beijing(p.accepted_at));
  fact(facts, "handle_by", p.handle_by);
  fact(facts, "answered_at", beijing(p.answered_at));
  fact(facts, "outcome", p.outcome ? t(`outcome_${p.outcome}`) : "");
  fact(facts, "duplicate_of", p.duplicate_of ? caseLink(p.duplicate_of) : "");
  const duplicates = document.createElement("span");
  p.duplicates.forEach((code, index) => duplicates.append(...(index ? ["、"] : []), caseLink(code)));
  fact(facts, "duplicates", p.duplicates.length ? duplicates : "");
  $("visits").replaceChildren(
    ...p.visits.map((v) => {
      const li = document.createElement("li");
      li.dataset.testid = "visit";
      li.textContent = `${beijing(v.at)} · ${v.user} · ${v.satisfied ? t("satisfied") : t("not_satisfied")} · ${v.finding}`;
      return li;
    }),
  );
  const select = $("outcome-select");
  const current = select.value;
  select.replaceChildren(...["stage_closed", "closed"].map((o) => new Option(t(`outcome_${o}`), o)));
  select.value = p.outcome ?? current ?? "stage_closed";
  $("visit-form").hidden = c.state !== "closed";
  $("outcome-form").hidden = !["pre_examined", "closed"].includes(c.state);
}

async function petitionAction(event, path, body) {
  event.preventDefault();
  const ok = await guarded(async () => {
    state.current = await api(`/api/v1/cases/${encodeURIComponent(state.current.code)}/${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body()),
    });
  });
  if (!ok) return;
  showMessage("");
  event.target.reset();
  renderCase();
  showNotice(t("saved"));
}

function renderMoves(c) {
  const buttons = (c.moves ?? []).map((action) => {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.testid = `move-${action}`;
    button.dataset.action = action;
    button.className = `move-button action-${action}`;
    button.textContent = label("actions", action);
    button.addEventListener("click", () => move(action));
    return button;
  });
  $("move-buttons").replaceChildren(...buttons);
  $("move-form").hidden = !buttons.length;
  const hints = [];
  if (!buttons.length) hints.push(t("no_moves"));
  if ((c.moves ?? []).includes("submit")) hints.push(t("needs_evidence"));
  if ((c.moves ?? []).some((a) => a === "return" || a === "reopen")) hints.push(t("needs_reason"));
  $("move-hint").textContent = hints.join(" ");
}

function renderTimeline(history) {
  const items = history.map((entry) => {
    const li = document.createElement("li");
    li.dataset.testid = "timeline-entry";
    li.dataset.action = entry.action;
    li.dataset.seq = entry.seq;
    const head = document.createElement("div");
    head.className = "head";
    const when = document.createElement("time");
    when.dateTime = entry.at;
    when.textContent = beijing(entry.at);
    const who = document.createElement("span");
    who.className = "who";
    who.dataset.testid = "timeline-user";
    who.textContent = entry.user;
    head.append(`#${entry.seq} `, when, " · ", who, " · ", labelElement("actions", entry.action), " · ");
    const states = document.createElement("span");
    states.className = "states";
    states.append(labelElement("states", entry.from), " → ", labelElement("states", entry.to));
    head.append(states);
    li.append(head);
    if (entry.reason) {
      const reason = document.createElement("p");
      reason.className = "reason";
      reason.dataset.testid = "timeline-reason";
      reason.textContent = entry.reason;
      li.append(reason);
    }
    if (entry.evidence?.length) {
      const files = document.createElement("ul");
      files.className = "evidence";
      for (const file of entry.evidence) {
        const item = document.createElement("li");
        item.dataset.testid = "timeline-evidence";
        const name = document.createElement("button");
        name.type = "button";
        name.className = "file";
        name.dataset.testid = "evidence-file";
        name.textContent = file.name;
        name.addEventListener("click", () =>
          guarded(() => download(
            `/api/v1/cases/${encodeURIComponent(state.current.code)}/evidence/${file.sha256}`, file.name,
          )));
        const hash = document.createElement("code");
        hash.title = `SHA-256 ${file.sha256}`;
        hash.textContent = `SHA-256 ${file.sha256.slice(0, SHORT_HASH)}…`;
        item.append(name, " ", hash);
        files.append(item);
      }
      li.append(files);
    }
    return li;
  });
  if (!items.length) {
    const li = document.createElement("li");
    li.textContent = t("no_history");
    items.push(li);
  }
  $("timeline").replaceChildren(...items);
}

async function markDone(key) {
  const ok = await guarded(async () => {
    state.current = await api(
      `/api/v1/cases/${encodeURIComponent(state.current.code)}/nodes/${key}/done`, { method: "POST" },
    );
  });
  if (!ok) return;
  showMessage("");
  renderCase();
  showNotice(t("node_marked", { n: key }));
}

function showChosenFiles() {
  const names = [...$("move-evidence").files].map((file) => file.name);
  $("move-files").textContent = names.length ? names.join("、") : t("no_files");
}

async function move(action) {
  const form = $("move-form");
  const data = new FormData();
  data.append("action", action);
  const reason = form.reason.value.trim();
  if (reason) data.append("reason", reason);
  for (const file of form.evidence.files) data.append("evidence", file, file.name);
  for (const button of form.querySelectorAll("button")) button.disabled = true;
  showNotice("");
  const before = state.current.state;
  const ok = await guarded(async () => {
    state.current = await api(`/api/v1/cases/${encodeURIComponent(state.current.code)}/moves`, {
      method: "POST",
      body: data,
    });
  });
  for (const button of form.querySelectorAll("button")) button.disabled = false;
  if (!ok) return;
  showMessage("");
  form.reset();
  showChosenFiles();
  renderCase();
  showNotice(
    t("moved", {
      action: label("actions", action),
      from: label("states", before),
      to: label("states", state.current.state),
    }),
  );
}

// ---------------------------------------------------------------- the board

function renderBoard() {
  const body = state.lastList;
  setAsOf(body.as_of);
  const columns = body.states.map((column) => {
    const section = document.createElement("section");
    section.className = "column";
    section.dataset.testid = "board-column";
    section.dataset.state = column.state;
    const head = document.createElement("h3");
    const count = document.createElement("span");
    count.className = "count";
    count.dataset.testid = "board-count";
    count.textContent = String(column.count);
    head.append(labelElement("states", column.state), " ", count);
    const list = document.createElement("ul");
    for (const item of column.cases) {
      const li = document.createElement("li");
      li.dataset.testid = "board-card";
      li.dataset.code = item.code;
      if (item.days_overdue > 0) li.classList.add("late");
      const title = document.createElement("div");
      title.append(caseLink(item.code), " ", item.title);
      const meta = document.createElement("div");
      meta.className = "meta";
      meta.append(`${regionText(item.region, item.region_name)} · ${t("deadline")} ${item.deadline}`);
      if (item.days_overdue > 0) meta.append(` · ${t("days_overdue")} ${item.days_overdue}`);
      if (item.escalation) meta.append(" · ", labelElement("steps", item.escalation, "step"));
      li.append(title, meta);
      list.append(li);
    }
    if (column.count > column.cases.length) {
      const more = document.createElement("li");
      more.className = "more";
      const link = document.createElement("a");
      link.href = `/cases?${new URLSearchParams({ ...state.filters, state: column.state })}`;
      link.textContent = `… ${t("total", { total: column.count })}`;
      more.append(link);
      list.append(more);
    }
    section.append(head, list);
    return section;
  });
  $("board").replaceChildren(...columns);
}

// ---------------------------------------------------------------- the overdue list

function renderOverdue() {
  const body = state.lastList;
  setAsOf(body.as_of);
  $("overdue-total").textContent = t("total", { total: body.total });
  const rows = body.items.map((item) => {
    const tr = document.createElement("tr");
    tr.dataset.testid = "overdue-row";
    tr.dataset.code = item.code;
    const due = item.node === null || item.node === undefined
      ? `${item.due}（${t("case_deadline")}）`
      : `${item.due}（${t("node_n", { n: item.node })}）`;
    tr.append(
      cell(caseLink(item.code)),
      cell(item.title),
      cell(regionText(item.region, item.region_name)),
      cell(labelElement("states", item.state)),
      cell(due),
      cell(String(item.days_overdue)),
      cell(escalationCell(item.escalation)),
    );
    tr.classList.add("late");
    return tr;
  });
  if (!rows.length) rows.push(noCasesRow(7));
  labelCells($("overdue-table"), rows);
  $("overdue-rows").replaceChildren(...rows);
}

// ---------------------------------------------------------------- a batch's statistics

async function loadStats() {
  const batch = state.filters.batch ?? state.facets?.batches[0]?.code;
  if (!batch) {
    state.stats = { batch: null };
    renderStats();
    return;
  }
  const query = (extra) => new URLSearchParams({ batch, ...extra });
  const [facets, stats, byRegion, byUnit, trend] = await Promise.all([
    api("/api/v1/cases/facets"),
    api(`/api/v1/cases/stats?${query({})}`),
    api(`/api/v1/cases/lists?${query({ by: "region" })}`),
    api(`/api/v1/cases/lists?${query({ by: "unit" })}`),
    api(`/api/v1/cases/trend?${query({})}`),
  ]);
  state.stats = { batch, stats, byRegion, byUnit, trend, asOf: facets.as_of };
  $("s-batch").value = batch;
  renderStats();
}

function percent(value) {
  return value === null || value === undefined ? "—" : `${value.toFixed(1)}%`;
}

function headRow(cells) {
  const thead = document.createElement("thead");
  const tr = document.createElement("tr");
  for (const content of cells) {
    const th = document.createElement("th");
    if (content instanceof Node) th.append(content);
    else th.textContent = content;
    tr.append(th);
  }
  thead.append(tr);
  return thead;
}

function pairRows(entries) {
  return entries.map(([name, count]) => {
    const tr = document.createElement("tr");
    tr.append(cell(name), cell(String(count)));
    return tr;
  });
}

function renderItemised(testid, rows, nameHeader, steps, withCode) {
  const table = $(testid);
  const body = document.createElement("tbody");
  for (const row of rows) {
    const tr = document.createElement("tr");
    tr.dataset.testid = `${testid}-row`;
    tr.dataset.group = row.group;
    tr.append(
      cell(withCode ? regionText(row.group, row.name) : row.name),
      cell(String(row.total)),
      cell(String(row.closed)),
      cell(String(row.on_schedule)),
      cell(String(row.overdue)),
      cell(percent(row.closing_rate_pct)),
      ...steps.map((step) => cell(String(row.by_escalation[step] ?? 0))),
    );
    if (row.overdue > 0) tr.classList.add("late");
    body.append(tr);
  }
  table.replaceChildren(
    headRow([
      nameHeader, t("total_n"), t("closed_count"), t("on_schedule"), t("overdue_n"), t("closing_rate"),
      ...steps.map((step) => labelElement("steps", step)),
    ]),
    body,
  );
}

function renderStats() {
  const data = state.stats;
  setAsOf(data.asOf);
  const cards = $("stats-cards");
  cards.replaceChildren();
  if (!data.batch) {
    const p = document.createElement("p");
    p.textContent = t("no_batch");
    cards.append(p);
    return;
  }
  const s = data.stats;
  for (const [key, value, testid] of [
    ["total_n", s.total, "card-total"],
    ["closed_count", s.closed, "card-closed"],
    ["on_schedule", s.on_schedule, "card-on-schedule"],
    ["overdue_n", s.overdue, "card-overdue"],
    ["closing_rate", percent(s.closing_rate_pct), "card-rate"],
  ]) {
    const box = document.createElement("div");
    box.className = key === "overdue_n" && s.overdue > 0 ? "card late" : "card";
    const dt = document.createElement("dt");
    dt.textContent = t(key);
    const dd = document.createElement("dd");
    dd.dataset.testid = testid;
    dd.textContent = String(value);
    box.append(dt, dd);
    cards.append(box);
  }
  $("stats-states").querySelector("tbody").replaceChildren(
    ...pairRows(Object.entries(s.by_state).map(([code, n]) => [labelElement("states", code), n])),
  );
  const steps = Object.keys(s.by_escalation);
  $("stats-steps").querySelector("tbody").replaceChildren(
    ...pairRows(steps.map((step) => [labelElement("steps", step), s.by_escalation[step]])),
  );
  renderItemised("list-region", data.byRegion, t("region"), steps, true);
  renderItemised("list-unit", data.byUnit, t("unit"), steps, false);
  $("trend").querySelector("tbody").replaceChildren(
    ...data.trend.map((month) => {
      const tr = document.createElement("tr");
      tr.dataset.testid = "trend-row";
      tr.append(cell(month.month), cell(String(month.opened)), cell(String(month.closed)), cell(String(month.reopened)));
      return tr;
    }),
  );
}

// ---------------------------------------------------------------- notifications

function showUnread(count) {
  $("unread").textContent = String(count);
  $("unread").hidden = !count;
}

async function loadUnread() {
  showUnread((await api("/api/v1/cases/notifications?unread=true&limit=1")).unread);
}

async function loadNotifications() {
  state.notes = await api("/api/v1/cases/notifications");
  renderNotifications();
}

function renderNotifications() {
  const body = state.notes;
  showUnread(body.unread);
  $("notifications-total").textContent = t("notifications_total", { total: body.items.length, unread: body.unread });
  const items = body.items.map((note) => {
    const li = document.createElement("li");
    li.dataset.testid = "notification";
    li.dataset.id = note.id;
    li.dataset.case = note.case;
    li.dataset.step = note.step;
    if (!note.read_at) li.classList.add("unread");
    const title = document.createElement("div");
    title.className = "note-title";
    title.textContent = note.title;
    const meta = document.createElement("div");
    meta.className = "note-meta";
    meta.append(caseLink(note.case), " · ", labelElement("steps", note.step, "step"), ` · ${beijing(note.created_at)}`);
    if (!note.read_at) meta.append(` · ${t("unread_mark")}`);
    const text = document.createElement("p");
    text.className = "note-body";
    text.textContent = note.body;
    li.append(title, meta, text);
    return li;
  });
  if (!items.length) {
    const li = document.createElement("li");
    li.textContent = t("no_notifications");
    items.push(li);
  }
  $("notifications").replaceChildren(...items);
  $("read-all").disabled = !body.unread;
}

async function readAll() {
  const ok = await guarded(async () => {
    state.notes = await api("/api/v1/cases/notifications/read", { method: "POST" });
  });
  if (ok) renderNotifications();
}

// ---------------------------------------------------------------- start

function start() {
  const saved = localStorage.getItem(LANGUAGE_KEY);
  setLanguage(LANGUAGES.includes(saved) ? saved : "zh");
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === page) link.setAttribute("aria-current", "page");
  }
  for (const section of document.querySelectorAll("[data-view]")) section.hidden = section.dataset.view !== page;
  state.filters = filtersFromUrl();
  applyLanguage();
  $("login-form").addEventListener("submit", signInHandler({ t, showMessage, startApp }));
  $("sign-out").addEventListener("click", () => signOut());
  $("lang-switch").addEventListener("click", () => {
    setLanguage(currentLanguage() === "zh" ? "en" : "zh");
    localStorage.setItem(LANGUAGE_KEY, currentLanguage());
    showNotice(""); // it was said in the other language
    applyLanguage();
  });
  $("move-evidence").addEventListener("change", showChosenFiles);
  $("visit-form").addEventListener("submit", (event) => petitionAction(event, "visits", () => ({
    finding: event.target.finding.value.trim(), satisfied: event.target.satisfied.checked,
  })));
  $("outcome-form").addEventListener("submit", (event) => petitionAction(event, "outcome", () => ({
    outcome: event.target.outcome.value,
  })));
  $("duplicate-form").addEventListener("submit", (event) => petitionAction(event, "duplicate", () => ({
    of: event.target.of.value.trim(),
  })));
  $("filters")?.addEventListener("submit", applyFilters);
  $("board-filters")?.addEventListener("submit", applyFilters);
  $("stats-filters")?.addEventListener("submit", applyFilters);
  $("read-all").addEventListener("click", readAll);
  for (const button of document.querySelectorAll("[data-list]")) {
    button.addEventListener("click", () => {
      const batch = state.stats?.batch;
      if (!batch) return;
      const by = button.dataset.list;
      const query = new URLSearchParams({ batch, by, format: "xlsx" });
      guarded(() => download(`/api/v1/cases/lists?${query}`, `cases-${batch}-by-${by}.xlsx`));
    });
  }
  $("page-prev").addEventListener("click", () => {
    state.offset = Math.max(0, state.offset - PAGE_SIZE);
    guarded(load);
  });
  $("page-next").addEventListener("click", () => {
    state.offset += PAGE_SIZE;
    guarded(load);
  });
  for (const button of document.querySelectorAll("[data-download]")) {
    button.addEventListener("click", () => {
      const format = button.dataset.download;
      const path = page === "overdue" ? "/api/v1/cases/overdue" : "/api/v1/cases";
      const name = page === "overdue" ? "cases-overdue" : "cases";
      guarded(() => download(`${path}?${listQuery({ format })}`, `${name}.${format}`));
    });
  }
  resume({ t, startApp, signOut });
}

start();
