import { Suspense } from "react";
import { Route, Routes } from "react-router-dom";

import { Layout } from "./components/Layout";
import { RequireAuth } from "./components/RequireAuth";
import { Loading } from "./components/States";
import { Login, Signup } from "./pages/Auth";
import { pages } from "./routes";

export function App() {
  const P = pages;
  return (
    <Suspense fallback={<Loading />}>
      <Routes>
        <Route path="/login" element={<Login />} />
        <Route path="/signup" element={<Signup />} />
        <Route element={<RequireAuth><Layout /></RequireAuth>}>
          <Route index element={<P.Overview />} />
          <Route path="chart" element={<P.Chart />} />
          <Route path="market-data" element={<P.MarketData />} />
          <Route path="strategies" element={<P.Strategies />} />
          <Route path="strategies/new" element={<P.StrategyEditor />} />
          <Route path="strategies/:id" element={<P.StrategyEditor />} />
          <Route path="backtests" element={<P.Backtests />} />
          <Route path="backtests/compare" element={<P.BacktestCompare />} />
          <Route path="backtests/:id" element={<P.BacktestDetail />} />
          <Route path="optimizations" element={<P.Optimizations />} />
          <Route path="optimizations/:id" element={<P.OptimizationDetail />} />
          <Route path="trading" element={<P.Trading />} />
          <Route path="settings" element={<P.Settings />} />
          <Route path="admin" element={<P.Admin />} />
          <Route path="*" element={<P.NotFound />} />
        </Route>
      </Routes>
    </Suspense>
  );
}
