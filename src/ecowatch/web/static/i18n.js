// The map page's words in Chinese and English; `t(key, values)` fills {placeholders}.

const WORDS = {
  zh: {
    title: "生态环境监测站点地图",
    switch_to: "English",
    sign_in_title: "登录",
    username: "用户名",
    password: "密码",
    sign_in: "登录",
    sign_out: "退出",
    signing_in: "正在登录……",
    close: "关闭",
    legend: "图例",
    sites: "站点",
    map_label: "站点地图",
    as_of: "数据时间 {time}",
    user: "{username}（{role}）",
    aqi: "空气质量指数（AQI）",
    aqi_short: "AQI",
    level_range: "{lower}–{upper}",
    level_top: "> {lower}",
    reporting: "水质断面、排放口：有近 24 小时数据",
    no_data: "无近期数据",
    no_time: "无数据",
    latest: "最新时间",
    primary: "首要污染物",
    kind_air_station: "空气站",
    kind_water_section: "水质断面",
    kind_outlet: "排放口",
    concentration: "浓度",
    series_title: "近 {hours} 小时",
    loading: "正在加载……",
    no_series: "该站点在此时段没有数据。",
    missing_fields: "请输入用户名和密码。",
    bad_login: "用户名或密码错误。",
    expired: "登录已过期，请重新登录。",
    forbidden: "无权查看：{detail}",
    not_found: "未找到：{detail}",
    server_error: "服务器错误（HTTP {status}）：{detail}",
    network_error: "无法连接 ecowatch 服务器，请检查网络后重试。",
    refresh_failed: "刷新站点状态失败：{reason}",
  },
  en: {
    title: "Environmental monitoring sites",
    switch_to: "中文",
    sign_in_title: "Sign in",
    username: "User name",
    password: "Password",
    sign_in: "Sign in",
    sign_out: "Sign out",
    signing_in: "Signing in…",
    close: "Close",
    legend: "Legend",
    sites: "Sites",
    map_label: "Map of the sites",
    as_of: "Data as of {time}",
    user: "{username} ({role})",
    aqi: "Air quality index (AQI)",
    aqi_short: "AQI",
    level_range: "{lower}–{upper}",
    level_top: "> {lower}",
    reporting: "Water sections, outlets: data in the last 24 h",
    no_data: "No recent data",
    no_time: "no data",
    latest: "Latest hour",
    primary: "Primary pollutants",
    kind_air_station: "Air station",
    kind_water_section: "Water section",
    kind_outlet: "Outlet",
    concentration: "Concentration",
    series_title: "Last {hours} hours",
    loading: "Loading…",
    no_series: "No data for this site in this period.",
    missing_fields: "Enter a user name and a password.",
    bad_login: "Wrong user name or password.",
    expired: "Your sign-in has expired: please sign in again.",
    forbidden: "Not allowed: {detail}",
    not_found: "Not found: {detail}",
    server_error: "Server error (HTTP {status}): {detail}",
    network_error: "Cannot reach the ecowatch server: check the network and try again.",
    refresh_failed: "Could not refresh the site status: {reason}",
  },
};

export const LANGUAGES = Object.freeze(Object.keys(WORDS));

let language = "zh";

export function setLanguage(code) {
  if (!WORDS[code]) throw new Error(`unknown language ${code}`);
  language = code;
}

export function currentLanguage() {
  return language;
}

export function t(key, values = {}) {
  const text = WORDS[language][key];
  if (text === undefined) throw new Error(`no text for ${key} in ${language}`);
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}
