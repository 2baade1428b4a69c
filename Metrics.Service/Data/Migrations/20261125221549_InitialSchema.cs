using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Switchboard.Metrics.Data.Migrations;

/// <inheritdoc />
public partial class InitialSchema : Migration
{
    /// <inheritdoc />
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        // Merges two packed latency histograms (bucket << 32 | count, ascending; NULL = empty) in an upsert, so
        // concurrent consumers add to a rollup row without reading it first.
        migrationBuilder.Sql(@"
CREATE OR REPLACE FUNCTION sb_hist_add(a bigint[], b bigint[]) RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a ELSE (
SELECT array_agg((s.k << 32) | s.n ORDER BY s.k)
FROM (SELECT c >> 32 AS k, sum(c & 4294967295)::bigint AS n FROM unnest(a || b) AS c GROUP BY 1) AS s)
  END
$$;");

        migrationBuilder.CreateTable(
            name: "request_log",
            columns: table => new
            {
                request_id = table.Column<string>(type: "text", nullable: false),
                attempt = table.Column<int>(type: "integer", nullable: false),
                started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                kind = table.Column<string>(type: "text", nullable: false),
                hedged = table.Column<bool>(type: "boolean", nullable: false),
                key_name = table.Column<string>(type: "text", nullable: true),
                route = table.Column<string>(type: "text", nullable: false),
                task = table.Column<string>(type: "text", nullable: true),
                provider = table.Column<string>(type: "text", nullable: false),
                provider_type = table.Column<string>(type: "text", nullable: true),
                model = table.Column<string>(type: "text", nullable: false),
                model_reported = table.Column<string>(type: "text", nullable: true),
                drift = table.Column<bool>(type: "boolean", nullable: false),
                stream = table.Column<bool>(type: "boolean", nullable: false),
                outcome = table.Column<string>(type: "text", nullable: false),
                winner = table.Column<bool>(type: "boolean", nullable: false),
                counted = table.Column<bool>(type: "boolean", nullable: false),
                status = table.Column<int>(type: "integer", nullable: false),
                error_class = table.Column<string>(type: "text", nullable: true),
                error_message = table.Column<string>(type: "text", nullable: true),
                latency_ms = table.Column<double>(type: "double precision", nullable: false),
                ttft_ms = table.Column<double>(type: "double precision", nullable: true),
                client_status = table.Column<int>(type: "integer", nullable: false),
                client_latency_ms = table.Column<double>(type: "double precision", nullable: false),
                client_ttft_ms = table.Column<double>(type: "double precision", nullable: true),
                attempts = table.Column<int>(type: "integer", nullable: false),
                input_tokens = table.Column<int>(type: "integer", nullable: false),
                output_tokens = table.Column<int>(type: "integer", nullable: false),
                cached_input_tokens = table.Column<int>(type: "integer", nullable: false),
                cache_write_tokens = table.Column<int>(type: "integer", nullable: false),
                reasoning_tokens = table.Column<int>(type: "integer", nullable: false),
                tokens_estimated = table.Column<bool>(type: "boolean", nullable: false),
                cost_usd = table.Column<decimal>(type: "numeric(18,10)", precision: 18, scale: 10, nullable: false),
                tier = table.Column<int>(type: "integer", nullable: true),
                confidence = table.Column<double>(type: "double precision", nullable: true),
                gateway = table.Column<string>(type: "text", nullable: true),
                ingested_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_request_log", x => new { x.request_id, x.attempt });
            });

        migrationBuilder.CreateTable(
            name: "rollup_hour",
            columns: table => new
            {
                bucket = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                provider = table.Column<string>(type: "text", nullable: false),
                model = table.Column<string>(type: "text", nullable: false),
                route = table.Column<string>(type: "text", nullable: false),
                key_name = table.Column<string>(type: "text", nullable: false),
                task = table.Column<string>(type: "text", nullable: false),
                requests = table.Column<long>(type: "bigint", nullable: false),
                errors = table.Column<long>(type: "bigint", nullable: false),
                attempts = table.Column<long>(type: "bigint", nullable: false),
                attempt_failures = table.Column<long>(type: "bigint", nullable: false),
                cost_usd = table.Column<decimal>(type: "numeric(20,10)", precision: 20, scale: 10, nullable: false),
                useful_cost_usd = table.Column<decimal>(type: "numeric(20,10)", precision: 20, scale: 10, nullable: false),
                hedge_cost_usd = table.Column<decimal>(type: "numeric(20,10)", precision: 20, scale: 10, nullable: false),
                retry_cost_usd = table.Column<decimal>(type: "numeric(20,10)", precision: 20, scale: 10, nullable: false),
                input_tokens = table.Column<long>(type: "bigint", nullable: false),
                output_tokens = table.Column<long>(type: "bigint", nullable: false),
                cached_input_tokens = table.Column<long>(type: "bigint", nullable: false),
                reasoning_tokens = table.Column<long>(type: "bigint", nullable: false),
                latency_hist = table.Column<long[]>(type: "bigint[]", nullable: true),
                ttft_hist = table.Column<long[]>(type: "bigint[]", nullable: true)
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_rollup_hour", x => new { x.bucket, x.provider, x.model, x.route, x.key_name, x.task });
            });

        migrationBuilder.CreateTable(
            name: "rollup_minute",
            columns: table => new
            {
                bucket = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                provider = table.Column<string>(type: "text", nullable: false),
                model = table.Column<string>(type: "text", nullable: false),
                route = table.Column<string>(type: "text", nullable: false),
                key_name = table.Column<string>(type: "text", nullable: false),
                task = table.Column<string>(type: "text", nullable: false),
                requests = table.Column<long>(type: "bigint", nullable: false),
                errors = table.Column<long>(type: "bigint", nullable: false),
                attempts = table.Column<long>(type: "bigint", nullable: false),
                attempt_failures = table.Column<long>(type: "bigint", nullable: false),
                cost_usd = table.Column<decimal>(type: "numeric(20,10)", precision: 20, scale: 10, nullable: false),
                useful_cost_usd = table.Column<decimal>(type: "numeric(20,10)", precision: 20, scale: 10, nullable: false),
                hedge_cost_usd = table.Column<decimal>(type: "numeric(20,10)", precision: 20, scale: 10, nullable: false),
                retry_cost_usd = table.Column<decimal>(type: "numeric(20,10)", precision: 20, scale: 10, nullable: false),
                input_tokens = table.Column<long>(type: "bigint", nullable: false),
                output_tokens = table.Column<long>(type: "bigint", nullable: false),
                cached_input_tokens = table.Column<long>(type: "bigint", nullable: false),
                reasoning_tokens = table.Column<long>(type: "bigint", nullable: false),
                latency_hist = table.Column<long[]>(type: "bigint[]", nullable: true),
                ttft_hist = table.Column<long[]>(type: "bigint[]", nullable: true)
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_rollup_minute", x => new { x.bucket, x.provider, x.model, x.route, x.key_name, x.task });
            });

        migrationBuilder.CreateIndex(
            name: "ix_request_log_started_at",
            table: "request_log",
            column: "started_at");
    }

    /// <inheritdoc />
    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("DROP FUNCTION IF EXISTS sb_hist_add(bigint[], bigint[]);");

        migrationBuilder.DropTable(
            name: "request_log");

        migrationBuilder.DropTable(
            name: "rollup_hour");

        migrationBuilder.DropTable(
            name: "rollup_minute");
    }
}
