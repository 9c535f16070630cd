import { Suspense, useState } from "react";
import { NavLink, Outlet, useNavigate } from "react-router-dom";

import { api } from "../api/client";
import { clearTokens } from "../api/auth";
import { useMe } from "../hooks/queries/users";
import { applyTheme, nextTheme, storedTheme, type Theme } from "../lib/theme";
import { NAVIGATION } from "../routes";
import { Loading } from "./States";

function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(storedTheme);
  function toggle() {
    const next = nextTheme(theme);
    applyTheme(next);
    setTheme(next);
  }
  return (
    <button type="button" className="ghost" onClick={toggle} aria-label={`Theme: ${theme}. Change theme`}>
      {theme === "dark" ? "☾ Dark" : theme === "light" ? "☀ Light" : "◐ System"}
    </button>
  );
}

function UserMenu() {
  const me = useMe();
  const navigate = useNavigate();
  async function logout() {
    await api.POST("/api/v1/auth/logout");
    clearTokens();
    navigate("/login");
  }
  return (
    <div className="user">
      <span>{me.data?.email}</span>
      <button type="button" className="ghost" onClick={() => void logout()}>
        Log out
      </button>
    </div>
  );
}

/** The shell of every signed-in page: navigation on the left, the page on the right. */
export function Layout() {
  const me = useMe();
  const links = NAVIGATION.filter((item) => !item.admin || me.data?.role === "admin");
  return (
    <div className="shell">
      <a href="#main" className="skip">Skip to content</a>
      <header className="topbar">
        <span className="brand">QuantDesk</span>
        <ThemeToggle />
        <UserMenu />
      </header>
      <nav className="sidebar" aria-label="Main">
        {links.map((item) => (
          <NavLink key={item.path} to={item.path} end={item.path === "/"}>
            {item.label}
          </NavLink>
        ))}
      </nav>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Loading />}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}
