import { z } from "zod";
import { isNetwork, type OutboundPolicy } from "../lib/outbound-policy.js";
import { cronProblem, DEFAULT_SCHEDULE, type Schedule } from "./schedule.js";

const booleanFlag = z
  .enum(["true", "false", "1", "0", "yes", "no"], { message: "must be true or false" })
  .transform((value) => value === "true" || value === "1" || value === "yes");

const positiveInt = (fallback: number) =>
  z.coerce.number({ message: "must be a number" }).int("must be a whole number").positive("must be positive").default(fallback);

/** A comma-separated list (spaces around items ignored; empty when unset) whose every item passes `check`. */
const commaList = (check: (item: string) => boolean, message: string) =>
  z
    .string()
    .default("")
    .transform((value) =>
      value
        .split(",")
        .map((item) => item.trim())
        .filter(Boolean),
    )
    .refine((items) => items.every(check), message);

/** A duration in milliseconds, at least `min` (and at most `max` when given). */
const milliseconds = (fallback: number, min: number, max?: number) => {
  const atLeast = z.coerce.number({ message: "must be a number of milliseconds" }).int().min(min, `must be at least ${min}`);
  return (max === undefined ? atLeast : atLeast.max(max, `must be at most ${max}`)).default(fallback);
};

/** A 5-field cron expression in KPI_TIMEZONE (minute hour day month weekday). */
const cron = (fallback: string) =>
  z
    .string()
    .superRefine((value, ctx) => {
      const problem = cronProblem(value);
      if (problem) ctx.addIssue({ code: "custom", message: `must be a cron expression such as "${fallback}" (${problem})` });
    })
    .default(fallback);

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const envSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    HOST: z.string().min(1).default("0.0.0.0"),
    PORT: z.coerce
      .number({ message: "must be a number" })
      .int()
      .min(0)
      .max(65535, "must be a port number (0-65535)")
      .default(4000),
    PUBLIC_URL: z.url("must be a URL such as https://kpi.example.com").optional(),
    CORS_ORIGINS: commaList(
      isOrigin,
      "must be origins such as https://dashboards.example.com,http://localhost:5173 (scheme, host and port; no path, no *)",
    ),
    TRUST_PROXY: z
      .string()
      .refine(
        isTrustProxy,
        "must be true, false, a number of hops, or loopback/linklocal/uniquelocal and networks, comma-separated",
      )
      .default("loopback"),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// connection string")
      .optional(),
    DATABASE_POOL_MAX: positiveInt(10),
    DATA_DIR: z.string().min(1).default("./data"),
    SEED_DEMO: booleanFlag.optional(),
    JWT_SECRET: z.string().min(32, "must be at least 32 characters (use a long random string)").optional(),
    JWT_JWKS_URL: z.url("must be the URL of a JSON Web Key Set").optional(),
    JWT_ISSUER: z.string().min(1).optional(),
    JWT_AUDIENCE: z.string().min(1).optional(),
    JWT_SUBJECT: z.enum(["id", "email"], { message: "must be id or email" }).default("id"),
    AUTH_PROVISION_USERS: booleanFlag.default(false),
    AUTH_NAME_CLAIM: z.string().min(1).default("name"),
    DEMO_SIGN_IN: booleanFlag.optional(),
    OIDC_ISSUER: z.url("must be the identity provider's issuer URL, e.g. https://login.example.com/realms/kpi").optional(),
    OIDC_CLIENT_ID: z.string().min(1).optional(),
    OIDC_SCOPE: z.string().min(1).default("openid profile email"),
    JWT_TTL: z
      .string()
      .regex(/^\d+\s*(s|m|h|d)$/, "must be a duration such as 30m, 12h or 7d")
      .default("12h"),
    KPI_TIMEZONE: z.string().refine(isTimeZone, "must be an IANA time zone such as UTC or Europe/Paris").default("UTC"),
    SCORE_CAP: z.coerce
      .number({ message: "must be a number" })
      .min(100, "must be at least 100")
      .max(999.99, "must be at most 999.99")
      .default(150),
    SQL_STATEMENT_HEADER: booleanFlag.optional(),
    JOBS_ENABLED: booleanFlag.optional(),
    JOBS_BATCH_SIZE: positiveInt(1000),
    JOBS_CONCURRENCY: positiveInt(8),
    JOBS_LOCK_LIFETIME_MS: milliseconds(120_000, 1_000),
    JOBS_MAX_ATTEMPTS: positiveInt(3),
    JOBS_PROCESS_EVERY_MS: milliseconds(5_000, 50),
    JOBS_MONGODB_URL: z
      .string()
      .regex(/^mongodb(\+srv)?:\/\//, "must be a mongodb:// or mongodb+srv:// connection string")
      .optional(),
    SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\//, "must be an smtp:// or smtps:// URL such as smtp://user:password@mail.example.com:587")
      .optional(),
    ALERT_EMAIL_FROM: z.string().min(3).default("KPI alerts <kpi-alerts@localhost>"),
    ALERT_RETRY_DELAY_MS: milliseconds(30_000, 10),
    ALERT_MAX_ATTEMPTS: positiveInt(5),
    ALERT_TIMEOUT_MS: milliseconds(10_000, 100),
    EXPORTS_MAX_CONCURRENT: positiveInt(4),
    EXPORTS_IDLE_TIMEOUT_MS: milliseconds(60_000, 100),
    SCHEDULE_DAILY: cron(DEFAULT_SCHEDULE.daily),
    SCHEDULE_WEEKLY: cron(DEFAULT_SCHEDULE.weekly),
    SCHEDULE_MONTHLY: cron(DEFAULT_SCHEDULE.monthly),
    SCHEDULE_QUARTERLY: cron(DEFAULT_SCHEDULE.quarterly),
    SCHEDULE_SNAPSHOT: cron(DEFAULT_SCHEDULE.snapshot),
    RESPONSE_CACHE_MB: z.coerce
      .number({ message: "must be a number of megabytes" })
      .int("must be a whole number of megabytes")
      .min(0, "must be 0 (off) or more")
      .max(65_536, "must be at most 65536")
      .default(64),
    SOURCE_QUERY_TIMEOUT_MS: milliseconds(5_000, 100, 600_000),
    ADAPTER_TIMEOUT_MS: milliseconds(10_000, 100, 600_000),
    OUTBOUND_ALLOWED_NETWORKS: commaList(
      isNetwork,
      "must be networks such as 10.0.0.0/8,192.168.1.20 (CIDR or addresses, comma-separated)",
    ),
    INTERCOM_BASE_URL: z.url("must be a URL such as https://api.intercom.io").default("https://api.intercom.io"),
    INTERCOM_ACCESS_TOKEN: z.string().min(1).optional(),
    AIRCALL_BASE_URL: z.url("must be a URL such as https://api.aircall.io").default("https://api.aircall.io"),
    AIRCALL_API_ID: z.string().min(1).optional(),
    AIRCALL_API_TOKEN: z.string().min(1).optional(),
    GOOGLE_ADMIN_BASE_URL: z.url("must be a URL such as https://admin.googleapis.com").default("https://admin.googleapis.com"),
    GOOGLE_SERVICE_ACCOUNT_FILE: z.string().min(1).optional(),
    GOOGLE_ADMIN_EMAIL: z.email("must be the email of a Google Workspace administrator").optional(),
    METRICS_TOKEN: z.string().min(16, "must be at least 16 characters (use a long random string)").optional(),
    WEBHOOK_SECRET: z.string().min(16, "must be at least 16 characters (use a long random string)").optional(),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    INTROSPECTION: booleanFlag.optional(),
    MAX_QUERY_DEPTH: positiveInt(12),
    MAX_QUERY_COST: positiveInt(20_000),
    MAX_ALIASES: positiveInt(30),
    MAX_BATCH_OPERATIONS: positiveInt(10),
    BODY_LIMIT: z
      .string()
      .regex(/^\d+(b|kb|mb)$/i, "must be a size such as 512kb or 1mb")
      .default("1mb"),
  })
  .superRefine((env, ctx) => {
    if (env.OIDC_ISSUER && !env.OIDC_CLIENT_ID) {
      ctx.addIssue({
        code: "custom",
        path: ["OIDC_CLIENT_ID"],
        message: "is required with OIDC_ISSUER (the dashboard's public client id)",
      });
    }
    if (env.OIDC_ISSUER && !env.JWT_JWKS_URL) {
      ctx.addIssue({
        code: "custom",
        path: ["JWT_JWKS_URL"],
        message: "is required with OIDC_ISSUER (the provider's key set, to verify its access tokens)",
      });
    }
    if (env.AUTH_PROVISION_USERS && (!env.JWT_JWKS_URL || env.JWT_SUBJECT !== "email")) {
      ctx.addIssue({
        code: "custom",
        path: ["AUTH_PROVISION_USERS"],
        message: "needs JWT_JWKS_URL (the identity provider's tokens) and JWT_SUBJECT=email (new users are known by e-mail)",
      });
    }
    if (env.NODE_ENV === "production" && !env.JWT_SECRET && !env.JWT_JWKS_URL) {
      ctx.addIssue({
        code: "custom",
        path: ["JWT_SECRET"],
        message: "is required in production (or set JWT_JWKS_URL)",
      });
    }
  });

export type Env = z.input<typeof envSchema>;

/** The names of the variables the schema reads (docs/configuration.md and .env.example must list them). */
export const ENV_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

/** Families of variables read by pattern, as the documentation writes them. */
export const ENV_VARIABLE_PATTERNS: Readonly<Record<string, RegExp>> = {
  "SOURCE_DB_<NAME>_URL": /^SOURCE_DB_[A-Z][A-Z0-9_]*_URL$/,
  "HTTP_SECRET_<NAME>": /^HTTP_SECRET_[A-Z0-9_]+$/i,
};

export interface Config {
  env: "development" | "production" | "test";
  host: string;
  port: number;
  publicUrl?: string;
  /** Origins whose pages may call the API (CORS); empty: same origin only. */
  corsOrigins: string[];
  /** Express's "trust proxy": which proxies' X-Forwarded-For and X-Forwarded-Proto to believe. */
  trustProxy: boolean | number | string;
  /** Where requests to URLs that arrive through the API (HTTP sources, team webhooks) may go. */
  outbound: OutboundPolicy;
  database: { url?: string; poolMax: number; dataDir: string };
  seedDemo?: boolean;
  auth: {
    jwtSecret?: string;
    jwksUrl?: string;
    issuer?: string;
    audience?: string;
    subject: "id" | "email";
    tokenTtl: string;
    /** Creates a USER for an identity provider's valid token whose e-mail matches nobody (never re-activates one). */
    provisionUsers: boolean;
    /** The token claim the name of a provisioned user comes from. */
    nameClaim: string;
  };
  /** How people sign in to the web dashboard (GraphQL `signInOptions`). */
  signIn: {
    /** DEMO_SIGN_IN; unset, demo sign-in is on only while the demo data is in use (main.ts decides). */
    demo?: boolean;
    /** OpenID Connect (authorization code with PKCE) against the provider whose JWKS verifies the tokens. */
    oidc?: { issuer: string; clientId: string; scope: string };
  };
  logLevel: string;
  metrics: {
    /** Bearer token GET /metrics requires; unset, /metrics is open (reachable from the internal network only). */
    token?: string;
  };
  hooks: {
    /** The HMAC key of POST /hooks/recalculate; unset, the endpoint is off. */
    secret?: string;
  };
  scoring: {
    /** The organisation's time zone: which calendar day "today" is, and so which periods are complete. */
    timeZone: string;
    /** Achievements above this count as this much in overall scores, so one outlier cannot carry a score. */
    scoreCap: number;
  };
  sources: {
    /** statement_timeout of a definition's query. */
    queryTimeoutMs: number;
    /** Named source databases from SOURCE_DB_<NAME>_URL, by lower-case name. */
    databaseUrls: Record<string, string>;
  };
  /** SaaS data sources (API definitions). Their credentials are only ever sent to their own base URLs. */
  adapters: {
    /** Timeout of one HTTP request of an adapter (retries have their own). */
    timeoutMs: number;
    intercom: { baseUrl: string; accessToken?: string };
    aircall: { baseUrl: string; apiId?: string; apiToken?: string };
    google: { baseUrl: string; serviceAccountFile?: string; adminEmail?: string };
    /** Named secrets of HTTP sources from HTTP_SECRET_<NAME>, by upper-case name ({secret:NAME}). */
    httpSecrets: Record<string, string>;
  };
  jobs: {
    /** Whether this process works on jobs (JOBS_ENABLED); every process can queue them. */
    enabled: boolean;
    batchSize: number;
    concurrency: number;
    lockLifetimeMs: number;
    maxAttempts: number;
    processEveryMs: number;
    /** Agenda's job documents go to this MongoDB instead of the server's PostgreSQL (runs and batches stay there). */
    mongodbUrl?: string;
    schedule: Schedule;
  };
  exports: {
    /** Downloads one process streams at once; more are refused with 429 and Retry-After. */
    maxConcurrent: number;
    /** A download whose client takes nothing for this long is cut, so a stalled client holds no slot. */
    idleTimeoutMs: number;
  };
  alerts: {
    /** nodemailer SMTP URL; without it alerts go to webhooks only. */
    smtpUrl?: string;
    emailFrom: string;
    retryDelayMs: number;
    maxAttempts: number;
    timeoutMs: number;
  };
  graphql: {
    introspection: boolean;
    /** Field suggestions ("Did you mean …") reveal the schema, so they are off in production. */
    hideSchemaDetails: boolean;
    maxDepth: number;
    maxCost: number;
    maxAliases: number;
    maxBatchOperations: number;
    bodyLimit: string;
    /** Adds x-sql-statements (SQL statements run for the request) to GraphQL responses: for tests and benchmarks. */
    sqlStatementHeader: boolean;
    /** Memory for whole query responses keyed by database snapshot (src/graphql/response-cache.ts); 0 turns it off. */
    responseCacheMb: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** SOURCE_DB_<NAME>_URL variables, as connection names (lower case) and URLs. */
function sourceDatabaseUrls(env: Record<string, string | undefined>): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    const match = /^SOURCE_DB_([A-Z][A-Z0-9_]*)_URL$/.exec(key);
    if (match && value) urls[match[1]!.toLowerCase()] = value;
  }
  return urls;
}

/** HTTP_SECRET_<NAME> variables, by upper-case name. */
function httpSecrets(env: Record<string, string | undefined>): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    const match = /^HTTP_SECRET_([A-Z0-9_]+)$/i.exec(key);
    if (match && value) secrets[match[1]!.toUpperCase()] = value;
  }
  return secrets;
}

/** Whether a value is exactly an origin: scheme, host and port, nothing more. */
function isOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

const PROXY_NAMES = new Set(["loopback", "linklocal", "uniquelocal"]);

function isTrustProxy(value: string): boolean {
  if (/^(true|false|\d{1,2})$/.test(value)) return true;
  return value.split(",").every((part) => PROXY_NAMES.has(part.trim()) || isNetwork(part.trim()));
}

/** TRUST_PROXY as express takes it: a flag, a number of hops, or the addresses and networks to trust. */
function trustProxy(value: string): boolean | number | string {
  if (value === "true" || value === "false") return value === "true";
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** Parses and validates the environment once; every bad variable is named in one error. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const raw = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ""));
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join(".") || "environment"}: ${issue.message}`));
  }
  const env = parsed.data;
  const production = env.NODE_ENV === "production";
  return {
    env: env.NODE_ENV,
    host: env.HOST,
    port: env.PORT,
    publicUrl: env.PUBLIC_URL,
    corsOrigins: env.CORS_ORIGINS,
    trustProxy: trustProxy(env.TRUST_PROXY),
    outbound: { allowedNetworks: env.OUTBOUND_ALLOWED_NETWORKS },
    database: { url: env.DATABASE_URL, poolMax: env.DATABASE_POOL_MAX, dataDir: env.DATA_DIR },
    seedDemo: env.SEED_DEMO,
    auth: {
      jwtSecret: env.JWT_SECRET,
      jwksUrl: env.JWT_JWKS_URL,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      subject: env.JWT_SUBJECT,
      tokenTtl: env.JWT_TTL,
      provisionUsers: env.AUTH_PROVISION_USERS,
      nameClaim: env.AUTH_NAME_CLAIM,
    },
    signIn: {
      demo: env.DEMO_SIGN_IN,
      oidc:
        env.OIDC_ISSUER && env.OIDC_CLIENT_ID
          ? { issuer: env.OIDC_ISSUER, clientId: env.OIDC_CLIENT_ID, scope: env.OIDC_SCOPE }
          : undefined,
    },
    logLevel: env.LOG_LEVEL,
    metrics: { token: env.METRICS_TOKEN },
    hooks: { secret: env.WEBHOOK_SECRET },
    scoring: { timeZone: env.KPI_TIMEZONE, scoreCap: env.SCORE_CAP },
    sources: { queryTimeoutMs: env.SOURCE_QUERY_TIMEOUT_MS, databaseUrls: sourceDatabaseUrls(raw) },
    adapters: {
      timeoutMs: env.ADAPTER_TIMEOUT_MS,
      intercom: { baseUrl: env.INTERCOM_BASE_URL, accessToken: env.INTERCOM_ACCESS_TOKEN },
      aircall: { baseUrl: env.AIRCALL_BASE_URL, apiId: env.AIRCALL_API_ID, apiToken: env.AIRCALL_API_TOKEN },
      google: {
        baseUrl: env.GOOGLE_ADMIN_BASE_URL,
        serviceAccountFile: env.GOOGLE_SERVICE_ACCOUNT_FILE,
        adminEmail: env.GOOGLE_ADMIN_EMAIL,
      },
      httpSecrets: httpSecrets(raw),
    },
    jobs: {
      enabled: env.JOBS_ENABLED ?? true,
      batchSize: env.JOBS_BATCH_SIZE,
      concurrency: env.JOBS_CONCURRENCY,
      lockLifetimeMs: env.JOBS_LOCK_LIFETIME_MS,
      maxAttempts: env.JOBS_MAX_ATTEMPTS,
      processEveryMs: env.JOBS_PROCESS_EVERY_MS,
      mongodbUrl: env.JOBS_MONGODB_URL,
      schedule: {
        daily: env.SCHEDULE_DAILY,
        weekly: env.SCHEDULE_WEEKLY,
        monthly: env.SCHEDULE_MONTHLY,
        quarterly: env.SCHEDULE_QUARTERLY,
        snapshot: env.SCHEDULE_SNAPSHOT,
      },
    },
    exports: { maxConcurrent: env.EXPORTS_MAX_CONCURRENT, idleTimeoutMs: env.EXPORTS_IDLE_TIMEOUT_MS },
    alerts: {
      smtpUrl: env.SMTP_URL,
      emailFrom: env.ALERT_EMAIL_FROM,
      retryDelayMs: env.ALERT_RETRY_DELAY_MS,
      maxAttempts: env.ALERT_MAX_ATTEMPTS,
      timeoutMs: env.ALERT_TIMEOUT_MS,
    },
    graphql: {
      introspection: env.INTROSPECTION ?? !production,
      hideSchemaDetails: production,
      maxDepth: env.MAX_QUERY_DEPTH,
      maxCost: env.MAX_QUERY_COST,
      maxAliases: env.MAX_ALIASES,
      maxBatchOperations: env.MAX_BATCH_OPERATIONS,
      bodyLimit: env.BODY_LIMIT.toLowerCase(),
      sqlStatementHeader: env.SQL_STATEMENT_HEADER ?? false,
      responseCacheMb: env.RESPONSE_CACHE_MB,
    },
  };
}
