import { useMemo } from "react";
import { Link } from "react-router";
import { getFragmentData, graphql, type FragmentType } from "../gql";
import type { TeamMembersTable_TeamFragment } from "../gql/graphql";
import { DataTable, type ColumnDef } from "../ui/DataTable";
import { formatPercent, formatPeriod, formatValue } from "../ui/format";
import { EmptyState } from "../ui/QueryState";
import { StatusBadge } from "../ui/StatusBadge";
import { RecordValueDialog } from "./RecordValueDialog";

const TeamMembersTableFragment = graphql(`
  fragment TeamMembersTable_team on Team {
    members {
      user {
        id
        name
      }
      overallScore
      kpis {
        id
        kpiDefinition {
          id
          name
          unit
          calculationType
        }
        currentMeasurement {
          id
          actualValue
          achievementPercentage
          periodStart
          periodEnd
        }
        ...TeamRecordValue_userKpi
      }
    }
  }
`);

type Member = TeamMembersTable_TeamFragment["members"][number];
type MemberKpi = Member["kpis"][number];

/**
 * The team's members with their overall score and, one column per KPI definition any of them has,
 * each KPI's achievement in its latest measured period (in words too). Managers record MANUAL KPIs
 * from the cell.
 */
export function TeamMembersTable(props: {
  team: FragmentType<typeof TeamMembersTableFragment>;
  canManage: boolean;
  onRecorded: (message: string) => void;
}) {
  const { members } = getFragmentData(TeamMembersTableFragment, props.team);
  const { canManage, onRecorded } = props;

  const definitions = new Map<string, MemberKpi["kpiDefinition"]>();
  for (const member of members) for (const kpi of member.kpis) definitions.set(kpi.kpiDefinition.id, kpi.kpiDefinition);
  const byName = [...definitions.values()].sort((a, b) => a.name.localeCompare(b.name));
  // Columns (and so their cells, dialogs included) stay the same while the set of KPIs does: a
  // refetch after a recorded value updates the cells instead of mounting new ones.
  const columnsKey = byName.map((definition) => `${definition.id}:${definition.name}`).join("|");

  const columns = useMemo(() => {
    const memberColumns: Array<ColumnDef<Member, unknown>> = [
      {
        id: "member",
        header: "Member",
        accessorFn: (member) => member.user.name,
        cell: ({ row }) => <Link to={`/people/${row.original.user.id}`}>{row.original.user.name}</Link>,
      },
      {
        id: "overallScore",
        header: "Overall score",
        accessorFn: (member) => member.overallScore ?? undefined,
        sortUndefined: "last",
        cell: ({ row }) => (
          <div className="kpi-cell">
            <span className="figure">{formatPercent(row.original.overallScore)}</span>
            <StatusBadge achievement={row.original.overallScore} />
          </div>
        ),
      },
      ...byName.map((definition): ColumnDef<Member, unknown> => ({
        id: `kpi-${definition.id}`,
        header: definition.name,
        accessorFn: (member) => kpiOf(member, definition.id)?.currentMeasurement?.achievementPercentage ?? undefined,
        sortUndefined: "last",
        cell: ({ row }) => (
          <KpiCell member={row.original} kpi={kpiOf(row.original, definition.id)} canManage={canManage} onRecorded={onRecorded} />
        ),
      })),
    ];
    return memberColumns;
  }, [columnsKey, canManage, onRecorded]);

  if (members.length === 0) return <EmptyState>No members yet.</EmptyState>;
  return (
    <DataTable
      columns={columns}
      data={members}
      caption="Members and their KPIs"
      filterLabel="Filter members"
      initialSorting={[{ id: "member", desc: false }]}
      empty="No member matches the filter."
    />
  );
}

function kpiOf(member: Member, definitionId: string): MemberKpi | undefined {
  return member.kpis.find((kpi) => kpi.kpiDefinition.id === definitionId);
}

function KpiCell(props: {
  member: Member;
  kpi: MemberKpi | undefined;
  canManage: boolean;
  onRecorded: (message: string) => void;
}) {
  const { kpi } = props;
  if (!kpi) return <span className="muted">Not assigned</span>;
  const measurement = kpi.currentMeasurement;
  return (
    <div className="kpi-cell">
      {measurement ? (
        <>
          <span className="figure">{formatPercent(measurement.achievementPercentage)}</span>
          <StatusBadge achievement={measurement.achievementPercentage} />
          <span className="muted small">
            {formatValue(measurement.actualValue, kpi.kpiDefinition.unit)} ·{" "}
            {formatPeriod(measurement.periodStart, measurement.periodEnd)}
          </span>
        </>
      ) : (
        <StatusBadge achievement={null} />
      )}
      {props.canManage && kpi.kpiDefinition.calculationType === "MANUAL" && (
        <RecordValueDialog userKpi={kpi} memberName={props.member.user.name} onRecorded={props.onRecorded} />
      )}
    </div>
  );
}
