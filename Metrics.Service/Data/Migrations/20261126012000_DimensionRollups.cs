using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Switchboard.Metrics.Data.Migrations;

/// <summary>
/// Rollups per single dimension (<c>rollup_dim_minute</c>, <c>rollup_dim_hour</c>): one row per bucket per provider,
/// model, route, key, task, plus one row per bucket for all traffic (dimension <c>all</c>, value ''). An unfiltered
/// <c>/api/sla?groupBy=provider</c> over 24 h merges ~150 hour rows and ~700 minute rows here instead of ~30,000 rows
/// of the full (provider x model x route x key x task) rollups. Written by the ingestion batch with the full rollups, in
/// the same transaction; filtered queries over several dimensions still read the full rollups. Existing full rollups are
/// folded into them here (histograms merged with <c>sb_hist_add</c>), so old windows answer the same as before.
/// Also a partial index on the cascade attempts of the request log (tier set), for <c>/api/cascade</c>: other rows
/// cost it nothing but the predicate check.
/// Plain SQL, not EF entities: only Npgsql code reads and writes these tables, as with the rollups' histograms.
/// </summary>
[DbContext(typeof(MetricsDbContext))]
[Migration("20261126012000_DimensionRollups")]
public sealed class DimensionRollups : Migration
{
    private const string Sums =
        "requests, errors, attempts, attempt_failures, cost_usd, useful_cost_usd, hedge_cost_usd, retry_cost_usd, " +
        "input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, latency_hist, ttft_hist";

    private const string Aggregates =
        "sum(requests), sum(errors), sum(attempts), sum(attempt_failures), sum(cost_usd), sum(useful_cost_usd), " +
        "sum(hedge_cost_usd), sum(retry_cost_usd), sum(input_tokens), sum(output_tokens), sum(cached_input_tokens), " +
        "sum(reasoning_tokens), sb_hist_sum(latency_hist), sb_hist_sum(ttft_hist)";

    /// <inheritdoc />
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("CREATE AGGREGATE sb_hist_sum(bigint[]) (SFUNC = sb_hist_add, STYPE = bigint[]);");
        foreach (var (table, source) in new[] { ("rollup_dim_minute", "rollup_minute"), ("rollup_dim_hour", "rollup_hour") })
        {
            migrationBuilder.Sql($"""
                CREATE TABLE {table} (
                    bucket timestamp with time zone NOT NULL,
                    dimension text NOT NULL,
                    value text NOT NULL,
                    requests bigint NOT NULL,
                    errors bigint NOT NULL,
                    attempts bigint NOT NULL,
                    attempt_failures bigint NOT NULL,
                    cost_usd numeric(20,10) NOT NULL,
                    useful_cost_usd numeric(20,10) NOT NULL,
                    hedge_cost_usd numeric(20,10) NOT NULL,
                    retry_cost_usd numeric(20,10) NOT NULL,
                    input_tokens bigint NOT NULL,
                    output_tokens bigint NOT NULL,
                    cached_input_tokens bigint NOT NULL,
                    reasoning_tokens bigint NOT NULL,
                    latency_hist bigint[] NULL,
                    ttft_hist bigint[] NULL,
                    CONSTRAINT "PK_{table}" PRIMARY KEY (dimension, bucket, value));
                """);
            foreach (var (dimension, column) in new[]
                     {
                         ("all", "''"), ("provider", "provider"), ("model", "model"), ("route", "route"), ("key", "key_name"), ("task", "task"),
                     })
            {
                migrationBuilder.Sql(
                    $"INSERT INTO {table} (bucket, dimension, value, {Sums}) " +
                    $"SELECT bucket, '{dimension}', {column}, {Aggregates} FROM {source} GROUP BY bucket{(column == "''" ? "" : ", " + column)};");
            }
        }
        migrationBuilder.Sql("CREATE INDEX ix_request_log_cascade ON request_log (started_at) WHERE tier IS NOT NULL;");
    }

    /// <inheritdoc />
    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("DROP INDEX IF EXISTS ix_request_log_cascade;");
        migrationBuilder.Sql("DROP TABLE IF EXISTS rollup_dim_hour;");
        migrationBuilder.Sql("DROP TABLE IF EXISTS rollup_dim_minute;");
        migrationBuilder.Sql("DROP AGGREGATE IF EXISTS sb_hist_sum(bigint[]);");
    }
}
