import type { AggregationPeriodValue, CalculationTypeValue, TargetTypeValue } from "../db/schema/index.js";

/** The product design's three teams with their five KPIs each, for `npm start` and `seed:demo`. */

export interface DemoDefinition {
  name: string;
  description: string;
  calculationType: CalculationTypeValue;
  dataSource: Record<string, unknown>;
  unit: string;
  aggregationPeriod: AggregationPeriodValue;
  targetType: TargetTypeValue;
  /** Target and a typical spread of actual values around it. */
  target: number;
  spread: number;
}

export interface DemoTeam {
  name: string;
  category: string;
  manager: { name: string; email: string };
  members: Array<{ name: string; email: string; externalIds?: Record<string, string> }>;
  kpis: DemoDefinition[];
}

const manualRange = (min: number, max: number) => ({ type: "manual", allowed_range: { min, max } });
const query = (sql: string) => ({
  type: "database",
  query: sql,
  parameters: ["user_id", "start_date", "end_date"],
});

export const demoAdmin = { name: "Ada Admin", email: "admin@example.com" };

export const demoTeams: DemoTeam[] = [
  {
    name: "Customer Support",
    category: "customer_support",
    manager: { name: "Maria Support-Lead", email: "support.manager@example.com" },
    members: [
      { name: "Sam Carter", email: "sam.carter@example.com", externalIds: { intercom: "ic-1001" } },
      { name: "Priya Nair", email: "priya.nair@example.com", externalIds: { intercom: "ic-1002" } },
      { name: "Lucas Moreau", email: "lucas.moreau@example.com", externalIds: { intercom: "ic-1003" } },
      { name: "Hana Sato", email: "hana.sato@example.com", externalIds: { intercom: "ic-1004" } },
    ],
    kpis: [
      {
        name: "Average Resolution Time",
        description: "Mean hours from a support case's creation to its resolution.",
        calculationType: "query",
        dataSource: query(
          "SELECT AVG(EXTRACT(EPOCH FROM (resolved_at - created_at)) / 3600) AS avg_hours FROM support_cases WHERE assigned_to = :user_id AND resolved_at >= :start_date AND resolved_at < :end_date",
        ),
        unit: "hours",
        aggregationPeriod: "monthly",
        targetType: "lower_better",
        target: 24,
        spread: 8,
      },
      {
        name: "First Response Time",
        description: "Mean minutes to the first admin reply in Intercom conversations.",
        calculationType: "api",
        dataSource: {
          type: "intercom",
          endpoint: "conversations",
          metric: "first_response_time",
          filters: { assignee_id: ":user_id", created_at_after: ":start_date", created_at_before: ":end_date" },
        },
        unit: "minutes",
        aggregationPeriod: "monthly",
        targetType: "lower_better",
        target: 30,
        spread: 12,
      },
      {
        name: "Customer Satisfaction Score",
        description: "Share of ratings of 4 or 5 stars.",
        calculationType: "formula",
        dataSource: {
          type: "formula",
          formula: "(positive_ratings / total_ratings) * 100",
          inputs: [
            {
              variable: "positive_ratings",
              source: query(
                "SELECT COUNT(*) FROM ratings WHERE user_id = :user_id AND rating >= 4 AND created_at >= :start_date AND created_at < :end_date",
              ),
            },
            {
              variable: "total_ratings",
              source: query(
                "SELECT COUNT(*) FROM ratings WHERE user_id = :user_id AND created_at >= :start_date AND created_at < :end_date",
              ),
            },
          ],
        },
        unit: "%",
        aggregationPeriod: "monthly",
        targetType: "higher_better",
        target: 90,
        spread: 8,
      },
      {
        name: "Cases Resolved",
        description: "Support cases resolved in the period.",
        calculationType: "query",
        dataSource: query(
          "SELECT COUNT(*) FROM support_cases WHERE assigned_to = :user_id AND resolved_at >= :start_date AND resolved_at < :end_date",
        ),
        unit: "count",
        aggregationPeriod: "monthly",
        targetType: "higher_better",
        target: 120,
        spread: 30,
      },
      {
        name: "Communication Quality",
        description: "The manager's assessment of written and spoken communication, 1 to 5.",
        calculationType: "manual",
        dataSource: manualRange(1, 5),
        unit: "score",
        aggregationPeriod: "monthly",
        targetType: "higher_better",
        target: 4,
        spread: 1,
      },
    ],
  },
  {
    name: "Sales",
    category: "sales",
    manager: { name: "Diego Sales-Lead", email: "sales.manager@example.com" },
    members: [
      { name: "Olivia Brown", email: "olivia.brown@example.com", externalIds: { aircall: "ac-2001" } },
      { name: "Kwame Mensah", email: "kwame.mensah@example.com", externalIds: { aircall: "ac-2002" } },
      { name: "Elena Petrova", email: "elena.petrova@example.com", externalIds: { aircall: "ac-2003" } },
      { name: "Tom Fischer", email: "tom.fischer@example.com", externalIds: { aircall: "ac-2004" } },
    ],
    kpis: [
      {
        name: "Deals Closed",
        description: "Deals won in the period.",
        calculationType: "query",
        dataSource: query(
          "SELECT COUNT(*) FROM deals WHERE owner_id = :user_id AND status = 'won' AND closed_at >= :start_date AND closed_at < :end_date",
        ),
        unit: "count",
        aggregationPeriod: "monthly",
        targetType: "higher_better",
        target: 12,
        spread: 4,
      },
      {
        name: "Revenue Generated",
        description: "Value of the deals won in the period.",
        calculationType: "query",
        dataSource: query(
          "SELECT COALESCE(SUM(amount), 0) FROM deals WHERE owner_id = :user_id AND status = 'won' AND closed_at >= :start_date AND closed_at < :end_date",
        ),
        unit: "currency",
        aggregationPeriod: "monthly",
        targetType: "higher_better",
        target: 50000,
        spread: 15000,
      },
      {
        name: "Call Volume",
        description: "Calls made and taken in Aircall.",
        calculationType: "api",
        dataSource: {
          type: "aircall",
          metric: "call_count",
          filters: { user_id: ":user_id", from: ":start_date", to: ":end_date" },
        },
        unit: "count",
        aggregationPeriod: "monthly",
        targetType: "higher_better",
        target: 400,
        spread: 80,
      },
      {
        name: "Lead Conversion Rate",
        description: "Share of the period's leads that became won deals.",
        calculationType: "formula",
        dataSource: {
          type: "formula",
          formula: "(converted_leads / total_leads) * 100",
          inputs: [
            {
              variable: "converted_leads",
              source: query(
                "SELECT COUNT(*) FROM leads WHERE owner_id = :user_id AND converted AND created_at >= :start_date AND created_at < :end_date",
              ),
            },
            {
              variable: "total_leads",
              source: query(
                "SELECT COUNT(*) FROM leads WHERE owner_id = :user_id AND created_at >= :start_date AND created_at < :end_date",
              ),
            },
          ],
        },
        unit: "%",
        aggregationPeriod: "monthly",
        targetType: "higher_better",
        target: 25,
        spread: 6,
      },
      {
        name: "Client Relationship Quality",
        description: "The manager's assessment of client relationships, 1 to 5.",
        calculationType: "manual",
        dataSource: manualRange(1, 5),
        unit: "score",
        aggregationPeriod: "monthly",
        targetType: "higher_better",
        target: 4,
        spread: 1,
      },
    ],
  },
  {
    name: "Operations",
    category: "operations",
    manager: { name: "Grace Ops-Lead", email: "ops.manager@example.com" },
    members: [
      { name: "Noah Wilson", email: "noah.wilson@example.com" },
      { name: "Aisha Khan", email: "aisha.khan@example.com" },
      { name: "Mateo Garcia", email: "mateo.garcia@example.com" },
      { name: "Yuki Tanaka", email: "yuki.tanaka@example.com" },
    ],
    kpis: [
      {
        name: "Tasks Completed",
        description: "Operational tasks completed in the period.",
        calculationType: "query",
        dataSource: query(
          "SELECT COUNT(*) FROM tasks WHERE assignee_id = :user_id AND completed_at >= :start_date AND completed_at < :end_date",
        ),
        unit: "count",
        aggregationPeriod: "monthly",
        targetType: "higher_better",
        target: 80,
        spread: 20,
      },
      {
        name: "Process Efficiency",
        description: "Estimated hours as a share of hours spent on completed tasks.",
        calculationType: "formula",
        dataSource: {
          type: "formula",
          formula: "(estimated_hours / spent_hours) * 100",
          inputs: [
            {
              variable: "estimated_hours",
              source: query(
                "SELECT COALESCE(SUM(estimated_hours), 0) FROM tasks WHERE assignee_id = :user_id AND completed_at >= :start_date AND completed_at < :end_date",
              ),
            },
            {
              variable: "spent_hours",
              source: query(
                "SELECT COALESCE(SUM(spent_hours), 0) FROM tasks WHERE assignee_id = :user_id AND completed_at >= :start_date AND completed_at < :end_date",
              ),
            },
          ],
        },
        unit: "%",
        aggregationPeriod: "monthly",
        targetType: "higher_better",
        target: 95,
        spread: 10,
      },
      {
        name: "Error Rate",
        description: "Share of completed tasks that were reopened for an error.",
        calculationType: "query",
        dataSource: query(
          "SELECT 100.0 * COUNT(*) FILTER (WHERE had_error) / NULLIF(COUNT(*), 0) FROM tasks WHERE assignee_id = :user_id AND completed_at >= :start_date AND completed_at < :end_date",
        ),
        unit: "%",
        aggregationPeriod: "monthly",
        targetType: "lower_better",
        target: 2,
        spread: 1,
      },
      {
        name: "SLA Compliance",
        description: "Share of tasks completed before their due time.",
        calculationType: "formula",
        dataSource: {
          type: "formula",
          formula: "(on_time / completed) * 100",
          inputs: [
            {
              variable: "on_time",
              source: query(
                "SELECT COUNT(*) FROM tasks WHERE assignee_id = :user_id AND completed_at <= due_at AND completed_at >= :start_date AND completed_at < :end_date",
              ),
            },
            {
              variable: "completed",
              source: query(
                "SELECT COUNT(*) FROM tasks WHERE assignee_id = :user_id AND completed_at >= :start_date AND completed_at < :end_date",
              ),
            },
          ],
        },
        unit: "%",
        aggregationPeriod: "monthly",
        targetType: "higher_better",
        target: 98,
        spread: 3,
      },
      {
        name: "Team Collaboration",
        description: "The manager's assessment of collaboration, 1 to 5.",
        calculationType: "manual",
        dataSource: manualRange(1, 5),
        unit: "score",
        aggregationPeriod: "monthly",
        targetType: "higher_better",
        target: 4,
        spread: 1,
      },
    ],
  },
];
