import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap, type Schemas } from "../../api/client";
import type { operations } from "../../api/schema";

export type Timeframe = NonNullable<
  NonNullable<operations["market-data-read_bars"]["parameters"]["query"]>["timeframe"]
>;
export const TIMEFRAMES: Timeframe[] = ["1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w"];

export interface ImportRequest {
  file: File;
  symbol: string;
  timeframe: Timeframe;
  exchange: string;
  timezone: string;
}

function invalidateMarketData(client: ReturnType<typeof useQueryClient>) {
  return Promise.all([
    client.invalidateQueries({ queryKey: ["instruments"] }),
    client.invalidateQueries({ queryKey: ["bars"] }),
  ]);
}

export function useImportFile() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (request: ImportRequest) => {
      const form = new FormData();
      form.set("file", request.file);
      for (const key of ["symbol", "timeframe", "exchange", "timezone"] as const) {
        form.set(key, request[key]);
      }
      return unwrap(
        await api.POST("/api/v1/market-data/import", {
          body: form as unknown as Schemas["ImportSummaryRead"] as never,
          bodySerializer: (body: unknown) => body as FormData,
        }),
      );
    },
    onSuccess: () => invalidateMarketData(client),
  });
}

export function useCreateSynthetic() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: Schemas["SyntheticCreate"]) =>
      unwrap(await api.POST("/api/v1/market-data/synthetic", { body })),
    onSuccess: () => invalidateMarketData(client),
  });
}

export function useFetchBars() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: Schemas["FetchRequest"]) =>
      unwrap(await api.POST("/api/v1/market-data/fetch", { body })),
    onSuccess: () => invalidateMarketData(client),
  });
}

export interface BarsWindow {
  limit?: number;
  start?: string | null;
  end?: string | null;
}

export function useBars(symbol: string, timeframe: Timeframe, window: BarsWindow = {}) {
  const query = { timeframe, limit: window.limit ?? 2000, start: window.start, end: window.end };
  return useQuery({
    queryKey: ["bars", symbol, query],
    queryFn: async () =>
      // Without a format the endpoint answers JSON; CSV and Arrow are for downloads.
      unwrap(
        await api.GET("/api/v1/market-data/{symbol}/bars", { params: { path: { symbol }, query } }),
      ) as Schemas["BarsRead"],
    enabled: symbol !== "",
  });
}

export function useIndicatorRegistry() {
  return useQuery({
    queryKey: ["indicators"],
    queryFn: async () => unwrap(await api.GET("/api/v1/indicators")),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

type IndicatorQuery = operations["indicators-compute_indicator"]["parameters"]["query"];

export function useIndicatorValues(
  symbol: string,
  timeframe: Timeframe,
  name: string,
  parameters: Record<string, number | string>,
  limit: number,
) {
  return useQuery({
    queryKey: ["indicator", symbol, timeframe, name, parameters, limit],
    queryFn: async () => {
      // Indicator parameters travel as extra query names the schema cannot list.
      const query = { name, timeframe, limit, ...parameters } as IndicatorQuery;
      return unwrap(
        await api.GET("/api/v1/market-data/{symbol}/indicators", {
          params: { path: { symbol }, query },
        }),
      );
    },
    enabled: symbol !== "",
  });
}
