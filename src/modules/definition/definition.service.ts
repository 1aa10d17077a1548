import { isDeepStrictEqual } from "node:util";
import type { Db } from "../../db/client.js";
import type { AggregationPeriodValue, CalculationTypeValue, KpiDefinitionRow, TargetTypeValue } from "../../db/schema/index.js";
import { conflict, conflictOnUnique, notFound, requireText } from "../../lib/errors.js";
import { appendAudit } from "../audit/audit.store.js";
import type { DefinitionChecker } from "../../engine/calculator/definition-checker.js";
import { validateDataSource } from "./data-source.validation.js";
import {
  findDefinition,
  hasMeasurements,
  insertDefinition,
  listDefinitions,
  updateDefinition,
  type DefinitionQuery,
} from "./definition.store.js";

export interface NewDefinition {
  name: string;
  description?: string | null;
  category?: string | null;
  calculationType: CalculationTypeValue;
  dataSource?: unknown;
  unit?: string | null;
  additive?: boolean | null;
  aggregationPeriod: AggregationPeriodValue;
  targetType: TargetTypeValue;
}

export interface DefinitionChanges {
  name?: string;
  description?: string | null;
  category?: string | null;
  dataSource?: unknown;
  unit?: string | null;
  additive?: boolean | null;
  aggregationPeriod?: AggregationPeriodValue;
  targetType?: TargetTypeValue;
  isActive?: boolean;
}

const CURRENCY_CODES = new Set("EUR USD GBP JPY CHF CAD AUD NZD SEK NOK DKK PLN CZK HUF INR CNY HKD SGD BRL MXN ZAR".split(" "));

/** Counts and money add up over a period; percentages, durations and scores are averages or rates. */
export function additiveUnit(unit: string | null | undefined): boolean {
  const text = unit?.trim() ?? "";
  return /^(count|currency|[$€£¥])$/i.test(text) || CURRENCY_CODES.has(text.toUpperCase());
}

const blankToNull = (value: string | null | undefined) => (value === undefined ? undefined : value?.trim() || null);

export class DefinitionService {
  constructor(
    private readonly db: Db,
    private readonly checker: DefinitionChecker,
  ) {}

  async require(id: number): Promise<KpiDefinitionRow> {
    const definition = await findDefinition(this.db, id);
    if (!definition) throw notFound("KpiDefinition", id);
    return definition;
  }

  list(query: DefinitionQuery): Promise<KpiDefinitionRow[]> {
    return listDefinitions(this.db, query);
  }

  async create(actorId: number, input: NewDefinition): Promise<KpiDefinitionRow> {
    const name = requireText(input.name, "name");
    const dataSource = validateDataSource(input.calculationType, input.dataSource);
    await this.checker.check(input.calculationType, dataSource);
    return conflictOnUnique(
      ACTIVE_NAME_UNIQUE,
      () => nameTaken(name),
      () =>
        this.db.transaction(async (tx) => {
          const definition = await insertDefinition(tx, {
            name,
            description: blankToNull(input.description),
            category: blankToNull(input.category),
            calculationType: input.calculationType,
            dataSource,
            unit: blankToNull(input.unit),
            additive: input.additive ?? additiveUnit(input.unit),
            aggregationPeriod: input.aggregationPeriod,
            targetType: input.targetType,
            createdBy: actorId,
          });
          await appendAudit(tx, {
            actorId,
            action: "kpi_definition.create",
            entityType: "kpi_definition",
            entityId: definition.id,
            after: definition,
          });
          return definition;
        }),
    );
  }

  async update(actorId: number, id: number, changes: DefinitionChanges): Promise<KpiDefinitionRow> {
    const name = changes.name === undefined ? undefined : requireText(changes.name, "name");
    if (changes.dataSource !== undefined) {
      // Before the transaction, not in it: the check runs the definition's queries on other connections,
      // and the embedded database serves no other connection while a transaction is open. The
      // calculation type, which the check depends on, cannot be changed.
      const { calculationType } = await this.require(id);
      await this.checker.check(calculationType, validateDataSource(calculationType, changes.dataSource), id);
    }
    return conflictOnUnique(
      ACTIVE_NAME_UNIQUE,
      () => nameTaken(name ?? ""),
      () =>
        this.db.transaction(async (tx) => {
          const before = await findDefinition(tx, id);
          if (!before) throw notFound("KpiDefinition", id);
          const dataSource =
            changes.dataSource === undefined ? undefined : validateDataSource(before.calculationType, changes.dataSource);
          const changesCalculation =
            (dataSource !== undefined && !isDeepStrictEqual(dataSource, before.dataSource)) ||
            (changes.aggregationPeriod !== undefined && changes.aggregationPeriod !== before.aggregationPeriod) ||
            (changes.targetType !== undefined && changes.targetType !== before.targetType);
          // Past scores must stay reproducible from the definition that produced them.
          if (changesCalculation && (await hasMeasurements(tx, id))) {
            throw conflict(
              `KpiDefinition ${id} already has measurements, so its data source, period and target type are fixed; archive it (isActive: false) and create a new definition`,
              { field: "input" },
            );
          }
          const after = await updateDefinition(tx, id, {
            name,
            description: blankToNull(changes.description),
            category: blankToNull(changes.category),
            dataSource,
            unit: blankToNull(changes.unit),
            additive: changes.additive ?? undefined,
            aggregationPeriod: changes.aggregationPeriod,
            targetType: changes.targetType,
            isActive: changes.isActive,
            updatedAt: new Date(),
          });
          await appendAudit(tx, {
            actorId,
            action: "kpi_definition.update",
            entityType: "kpi_definition",
            entityId: id,
            before,
            after,
          });
          return after;
        }),
    );
  }
}

const ACTIVE_NAME_UNIQUE = "kpi_definitions_active_name_unique";
const nameTaken = (name: string) => conflict(`An active KPI definition named "${name}" already exists`, { field: "name" });
