import { lazy } from "react";

/** Sidebar entries; a new area (trading, deployments…) adds one line here and one route. */
export const NAVIGATION = [
  { path: "/", label: "Overview", admin: false },
  { path: "/chart", label: "Chart", admin: false },
  { path: "/market-data", label: "Market data", admin: false },
  { path: "/trading", label: "Trading", admin: false },
  { path: "/strategies", label: "Strategies", admin: false },
  { path: "/backtests", label: "Backtests", admin: false },
  { path: "/optimizations", label: "Optimisations", admin: false },
  { path: "/settings", label: "Settings", admin: false },
  { path: "/admin", label: "Admin", admin: true },
];

// One chunk per page: charts and forms load with the page that needs them.
export const pages = {
  Overview: lazy(() => import("./pages/Overview")),
  Chart: lazy(() => import("./pages/Chart")),
  MarketData: lazy(() => import("./pages/MarketData")),
  Strategies: lazy(() => import("./pages/Strategies")),
  StrategyEditor: lazy(() => import("./pages/StrategyEditor")),
  Backtests: lazy(() => import("./pages/Backtests")),
  BacktestDetail: lazy(() => import("./pages/BacktestDetail")),
  BacktestCompare: lazy(() => import("./pages/BacktestCompare")),
  Optimizations: lazy(() => import("./pages/Optimizations")),
  OptimizationDetail: lazy(() => import("./pages/OptimizationDetail")),
  Trading: lazy(() => import("./pages/Trading")),
  Settings: lazy(() => import("./pages/Settings")),
  Admin: lazy(() => import("./pages/Admin")),
  NotFound: lazy(() => import("./pages/NotFound")),
};
