import { useState } from "react";
import { currentSession } from "../auth/session";

type Format = "csv" | "xlsx";

const LABEL: Record<Format, string> = { csv: "Download CSV", xlsx: "Download Excel (XLSX)" };

/**
 * The team's measurements of the last 12 months as CSV or XLSX (GET /exports/teams/:id.csv|.xlsx).
 * The export needs the bearer token, which a plain link cannot send: the file is fetched with it
 * and handed to the browser as a download.
 */
export function TeamExports(props: { teamId: string; teamName: string }) {
  const [busy, setBusy] = useState<Format | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function download(format: Format) {
    setBusy(format);
    setError(null);
    try {
      const session = currentSession();
      const response = await fetch(`/exports/teams/${encodeURIComponent(props.teamId)}.${format}`, {
        headers: session ? { authorization: `Bearer ${session.token}` } : {},
      });
      if (!response.ok) {
        setError(await refusal(response));
        return;
      }
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = fileName(response.headers.get("content-disposition")) ?? `${props.teamName} measurements.${format}`;
      document.body.append(link);
      link.click();
      link.remove();
      // The download has its own copy once started.
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch {
      setError("The KPI server is not answering. Try again in a moment.");
    } finally {
      setBusy(null);
    }
  }

  return (
    <div className="exports">
      <div className="row" role="group" aria-label="Export the team's measurements of the last 12 months">
        {(["csv", "xlsx"] as const).map((format) => (
          <button key={format} type="button" className="button" onClick={() => download(format)} disabled={busy !== null}>
            {busy === format ? "Preparing…" : LABEL[format]}
          </button>
        ))}
      </div>
      {error && (
        <div className="notice notice-error" role="alert">
          <strong>The download failed</strong>
          <p>{error}</p>
        </div>
      )}
    </div>
  );
}

/** The server's message from its JSON error body ({ errors: [{ message }] }), or the status. */
async function refusal(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { errors?: Array<{ message?: unknown }> };
    const message = body.errors?.[0]?.message;
    if (typeof message === "string") return message;
  } catch {
    // not JSON
  }
  return `The server answered ${response.status} ${response.statusText}.`;
}

function fileName(disposition: string | null): string | null {
  if (!disposition) return null;
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  if (encoded) return decodeURIComponent(encoded[1]!);
  return /filename="?([^";]+)"?/i.exec(disposition)?.[1] ?? null;
}
