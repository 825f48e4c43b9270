// Signing in on the platform's pages (the map, the cases pages): one token for them all.
//
// The token (POST /api/v1/auth/token's answer, with the user and expires_at) lives in
// sessionStorage under one key, so a person who signed in on the map is signed in on the cases pages
// too, and closing the tab signs out.  A 401 from any call means the token expired or was revoked:
// the page goes back to its sign-in form.  Each page brings its own words (t), its message line and
// what signing in and out show and hide; this module does the token and the calls.

export const TOKEN_KEY = "ecowatch.token";

// The word (a key of the page's t) that explains a refused call, by HTTP status; others are
// "server_error" with the status and the server's detail.
export const STATUS_WORDS = Object.freeze({ 403: "forbidden", 404: "not_found" });

export class SignedOut extends Error {}

// The saved token, or null when there is none or it has expired (a lapsed or corrupt one is dropped).
export function token() {
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (!saved) return null;
  try {
    const parsed = JSON.parse(saved);
    if (Date.parse(parsed.expires_at) > Date.now()) return parsed;
  } catch {
    // A corrupt entry is treated as no sign-in.
  }
  sessionStorage.removeItem(TOKEN_KEY);
  return null;
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

// The server's reason for a refused call: the message or detail of its JSON body, else the status text.
export async function detailOf(response) {
  try {
    const body = await response.json();
    if (typeof body.message === "string") return body.message;
    if (typeof body.detail === "string") return body.detail;
    return JSON.stringify(body.detail ?? body);
  } catch {
    return response.statusText;
  }
}

// fetch(path) with the bearer token: the response when it is OK, else SignedOut (no token, or a 401)
// or an Error whose message, in the page's words, says why.
export async function authorisedFetch(path, t, { words = STATUS_WORDS, ...options } = {}) {
  const saved = token();
  if (!saved) throw new SignedOut(t("expired"));
  let response;
  try {
    response = await fetch(path, {
      ...options,
      headers: { Authorization: `Bearer ${saved.access_token}`, Accept: "application/json", ...options.headers },
    });
  } catch {
    throw new Error(t("network_error"));
  }
  if (response.status === 401) throw new SignedOut(t("expired"));
  if (!response.ok) {
    const detail = await detailOf(response);
    const word = words[response.status];
    throw new Error(word ? t(word, { detail }) : t("server_error", { status: response.status, detail }));
  }
  return response;
}

// A runner of API actions: a lapsed sign-in calls signOut with the reason, any other failure becomes
// the page's message.  The runner answers whether the action succeeded.
export function guard(signOut, showMessage) {
  return async function guarded(action) {
    try {
      await action();
      return true;
    } catch (error) {
      if (error instanceof SignedOut) signOut(error.message);
      else showMessage(error.message);
      return false;
    }
  };
}

// The sign-in form's submit handler: asks for a token, saves it, then startApp(); a refusal is
// the page's message.  The form holds the fields "username" and "password" and the button
// [data-testid="sign-in"].
export function signInHandler({ t, showMessage, startApp }) {
  return async function signIn(event) {
    event.preventDefault();
    const form = event.target;
    const username = form.username.value.trim();
    const password = form.password.value;
    if (!username || !password) {
      showMessage(t("missing_fields"));
      return;
    }
    const button = document.querySelector('[data-testid="sign-in"]');
    button.disabled = true;
    button.textContent = t("signing_in");
    try {
      let response;
      try {
        response = await fetch("/api/v1/auth/token", {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify({ username, password }),
        });
      } catch {
        showMessage(t("network_error"));
        return;
      }
      if (response.status === 401) {
        showMessage(t("bad_login"));
        return;
      }
      if (!response.ok) {
        showMessage(t("server_error", { status: response.status, detail: await detailOf(response) }));
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, JSON.stringify(await response.json()));
      form.password.value = "";
      showMessage("");
      await startApp();
    } finally {
      button.disabled = false;
      button.textContent = t("sign_in");
    }
  };
}

// On opening a page: startApp() with a live token, else signOut (saying so when a token had lapsed).
export function resume({ t, startApp, signOut }) {
  const hadToken = sessionStorage.getItem(TOKEN_KEY) !== null;
  if (token()) startApp();
  else signOut(hadToken ? t("expired") : "");
}
