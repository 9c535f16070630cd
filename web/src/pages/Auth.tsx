import { useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";

import { acceptTokens } from "../api/auth";
import { api, unwrap } from "../api/client";
import { ErrorMessage } from "../components/States";

/** Only same-site paths: `next` must not send the user to another origin. */
export function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

async function login(email: string, password: string): Promise<void> {
  const pair = unwrap(
    await api.POST("/api/v1/auth/login", {
      body: { username: email, password, scope: "" },
      bodySerializer: (body) => new URLSearchParams(body as Record<string, string>),
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    }),
  );
  acceptTokens(pair);
}

function useSubmit(action: () => Promise<void>) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }
  return { error, busy, submit };
}

function Credentials({ email, password, setEmail, setPassword, newPassword }: {
  email: string;
  password: string;
  setEmail: (value: string) => void;
  setPassword: (value: string) => void;
  newPassword: boolean;
}) {
  return (
    <>
      <label htmlFor="email">Email</label>
      <input id="email" type="email" autoComplete="username" required value={email}
        onChange={(e) => setEmail(e.target.value)} />
      <label htmlFor="password">Password</label>
      <input id="password" type="password" required value={password}
        autoComplete={newPassword ? "new-password" : "current-password"}
        onChange={(e) => setPassword(e.target.value)} />
    </>
  );
}

export function Login() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const next = safeNext(params.get("next"));
  const { error, busy, submit } = useSubmit(async () => {
    await login(email, password);
    navigate(next, { replace: true });
  });
  return (
    <main className="auth">
      <form onSubmit={(e) => void submit(e)} className="card">
        <h1>Sign in to QuantDesk</h1>
        <Credentials {...{ email, password, setEmail, setPassword }} newPassword={false} />
        <ErrorMessage error={error} />
        <button type="submit" disabled={busy}>{busy ? "Signing in…" : "Sign in"}</button>
        <p>No account? <Link to={`/signup?next=${encodeURIComponent(next)}`}>Sign up</Link></p>
      </form>
    </main>
  );
}

export function Signup() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [fullName, setFullName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { error, busy, submit } = useSubmit(async () => {
    unwrap(await api.POST("/api/v1/auth/register", { body: { email, password, full_name: fullName || null } }));
    await login(email, password);
    navigate(safeNext(params.get("next")), { replace: true });
  });
  return (
    <main className="auth">
      <form onSubmit={(e) => void submit(e)} className="card">
        <h1>Create your account</h1>
        <label htmlFor="full-name">Full name (optional)</label>
        <input id="full-name" autoComplete="name" value={fullName} onChange={(e) => setFullName(e.target.value)} />
        <Credentials {...{ email, password, setEmail, setPassword }} newPassword />
        <ErrorMessage error={error} />
        <button type="submit" disabled={busy}>{busy ? "Creating…" : "Sign up"}</button>
        <p>Have an account? <Link to="/login">Sign in</Link></p>
      </form>
    </main>
  );
}
