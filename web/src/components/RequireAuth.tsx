import { useEffect, useState, type ReactNode } from "react";
import { Navigate, useLocation, useNavigate } from "react-router-dom";

import { hasSessionHint, refreshAccess } from "../api/auth";
import { setSignedOutHandler } from "../api/client";
import { useSignedIn } from "../hooks/useAuth";
import { Loading } from "./States";

export function loginPath(location: { pathname: string; search: string }): string {
  return `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
}

/** Pages behind a login: try the refresh cookie once on load, else go to the login page. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const signedIn = useSignedIn();
  const location = useLocation();
  const navigate = useNavigate();
  const [checked, setChecked] = useState(() => signedIn || !hasSessionHint());

  useEffect(() => {
    setSignedOutHandler(() => navigate(loginPath(window.location), { replace: true }));
    return () => setSignedOutHandler(null);
  }, [navigate]);

  useEffect(() => {
    if (!checked) void refreshAccess().finally(() => setChecked(true));
  }, [checked]);

  if (signedIn) return <>{children}</>;
  if (!checked) return <Loading label="Signing in…" />;
  return <Navigate to={loginPath(location)} replace />;
}
