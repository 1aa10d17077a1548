import {
  flexRender,
  getCoreRowModel,
  getFilteredRowModel,
  getSortedRowModel,
  useReactTable,
  type ColumnDef,
  type SortingState,
} from "@tanstack/react-table";
import { useState } from "react";

export type { ColumnDef } from "@tanstack/react-table";

/**
 * A sortable, filterable table (TanStack Table) that scrolls inside its box on narrow screens.
 * Column headers are buttons that sort and announce their order (aria-sort); `filterLabel` adds a
 * search box that filters on every column's text. Columns with meta { numeric: true } align right.
 */
export function DataTable<Row>(props: {
  columns: Array<ColumnDef<Row, any>>;
  data: Row[];
  caption: string;
  filterLabel?: string;
  initialSorting?: SortingState;
  empty?: string;
}) {
  const [sorting, setSorting] = useState<SortingState>(props.initialSorting ?? []);
  const [filter, setFilter] = useState("");
  const table = useReactTable({
    data: props.data,
    columns: props.columns,
    state: { sorting, globalFilter: filter },
    onSortingChange: setSorting,
    onGlobalFilterChange: setFilter,
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    getFilteredRowModel: getFilteredRowModel(),
  });
  const rows = table.getRowModel().rows;

  return (
    <div className="stack">
      {props.filterLabel && (
        <div className="field table-filter">
          <label>
            {props.filterLabel}
            <input type="search" value={filter} onChange={(event) => setFilter(event.target.value)} />
          </label>
        </div>
      )}
      <div className="table-scroll" role="region" aria-label={props.caption} tabIndex={0}>
        <table>
          <caption className="visually-hidden">{props.caption}</caption>
          <thead>
            {table.getHeaderGroups().map((group) => (
              <tr key={group.id}>
                {group.headers.map((header) => {
                  const sorted = header.column.getIsSorted();
                  const numeric = (header.column.columnDef.meta as { numeric?: boolean } | undefined)?.numeric;
                  return (
                    <th
                      key={header.id}
                      scope="col"
                      className={numeric ? "number" : undefined}
                      aria-sort={sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : undefined}
                    >
                      {header.column.getCanSort() ? (
                        <button type="button" onClick={header.column.getToggleSortingHandler()}>
                          {flexRender(header.column.columnDef.header, header.getContext())}
                          <span aria-hidden="true">{sorted === "asc" ? " ▲" : sorted === "desc" ? " ▼" : ""}</span>
                        </button>
                      ) : (
                        flexRender(header.column.columnDef.header, header.getContext())
                      )}
                    </th>
                  );
                })}
              </tr>
            ))}
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id}>
                {row.getVisibleCells().map((cell) => {
                  const numeric = (cell.column.columnDef.meta as { numeric?: boolean } | undefined)?.numeric;
                  return (
                    <td key={cell.id} className={numeric ? "number" : undefined}>
                      {flexRender(cell.column.columnDef.cell, cell.getContext())}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
        {rows.length === 0 && <p className="empty">{props.empty ?? "Nothing matches."}</p>}
      </div>
    </div>
  );
}
