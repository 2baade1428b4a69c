using System.Net.Http.Json;
using Npgsql;
using Switchboard.Metrics.Tests.Infrastructure;

namespace Switchboard.Metrics.Tests.Ingestion;

/// <summary>3,000 requests over the last three hours, ingested through the stream in batches of 500.</summary>
public sealed class SeededFixture : MetricsServiceFixture
{
    public DateTimeOffset Now { get; } = DateTimeOffset.UtcNow;
    public int Events { get; private set; }

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Metrics:BatchSize"] = "500" };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var events = Outcomes.Mix(3000, Now.AddHours(-3), Now, seed: 7);
        Events = events.Count;
        await PublishAsync(events);
        await WaitForRowsAsync(Events);
    }
}

public sealed class SlaAccuracyTests(SeededFixture fixture) : IClassFixture<SeededFixture>
{
    [Theory]
    [InlineData("provider", "provider")]
    [InlineData("route", "route")]
    [InlineData("key", "coalesce(key_name, '(none)')")]
    [InlineData("model", "model")]
    public async Task Sla_over_a_window_that_is_not_minute_aligned_matches_percentiles_computed_from_raw_rows(string groupBy, string column)
    {
        // Spans partial minutes, whole minutes and whole hours, so every source of the merge is exercised.
        var from = fixture.Now.AddHours(-2).AddMinutes(-47).AddSeconds(-13.5);
        var to = fixture.Now.AddMinutes(-2).AddSeconds(-31.2);

        var rows = (await fixture.Client.GetFromJsonAsync<List<SlaRowDto>>(
            $"/api/sla?from={Iso(from)}&to={Iso(to)}&groupBy={groupBy}"))!;
        var expected = await ExpectedAsync(column, from, to);

        Assert.NotNull(rows);
        Assert.Equal(expected.Keys.Order(), rows.Select(r => r.Group).Order());
        foreach (var row in rows)
        {
            var e = expected[row.Group];
            Assert.Equal(e.Requests, row.Requests);
            Assert.Equal(e.Errors, row.Errors);
            Assert.Equal(e.Cost, row.CostUsd);
            Assert.Equal(1.0 - ((double)e.Errors / e.Requests), row.Availability, 9);
            Within1Percent(e.P50, row.LatencyMs.P50);
            Within1Percent(e.P95, row.LatencyMs.P95);
            Within1Percent(e.P99, row.LatencyMs.P99);
            Within1Percent(e.TtftP50, row.TtftMs.P50);
            Within1Percent(e.TtftP95, row.TtftMs.P95);
            Within1Percent(e.TtftP99, row.TtftMs.P99);
        }
    }

    // One dimension touched (group, or group and filter on the same one, or day unfiltered): the single-dimension
    // rollups answer. Two dimensions (group by route, filter by provider): the full rollups do.
    [Theory]
    [InlineData("route", "route", "&provider=openai", "provider = 'openai'")]
    [InlineData("key", "coalesce(key_name, '(none)')", "&route=cheap", "route = 'cheap'")]
    [InlineData("provider", "provider", "&provider=anthropic", "provider = 'anthropic'")]
    [InlineData("task", "coalesce(task, '(none)')", "", "true")]
    [InlineData("day", "to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')", "", "true")]
    [InlineData("day", "to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')", "&route=chat", "route = 'chat'")]
    public async Task Sla_with_filters_and_every_group_by_matches_raw_rows(string groupBy, string column, string query, string where)
    {
        var from = fixture.Now.AddHours(-2).AddMinutes(-47).AddSeconds(-13.5);
        var to = fixture.Now.AddMinutes(-2).AddSeconds(-31.2);

        var rows = (await fixture.Client.GetFromJsonAsync<List<SlaRowDto>>(
            $"/api/sla?from={Iso(from)}&to={Iso(to)}&groupBy={groupBy}{query}"))!;
        var expected = await ExpectedAsync(column, from, to, where);

        Assert.NotEmpty(expected);
        Assert.Equal(expected.Keys.Order(), rows.Select(r => r.Group).Order());
        foreach (var row in rows)
        {
            var e = expected[row.Group];
            Assert.Equal(e.Requests, row.Requests);
            Assert.Equal(e.Errors, row.Errors);
            Assert.Equal(e.Cost, row.CostUsd);
            Within1Percent(e.P95, row.LatencyMs.P95);
            Within1Percent(e.P99, row.LatencyMs.P99);
            Within1Percent(e.TtftP95, row.TtftMs.P95);
        }
    }

    [Fact]
    public async Task Single_dimension_rollups_add_up_to_the_full_rollups()
    {
        foreach (var table in new[] { "minute", "hour" })
        {
            var full = await fixture.ScalarAsync($"SELECT sum(requests) + sum(errors) * 1000003 + sum(attempts) * 7 FROM rollup_{table}");
            foreach (var dimension in new[] { "all", "provider", "model", "route", "key", "task" })
            {
                Assert.Equal(full, await fixture.ScalarAsync(
                    $"SELECT sum(requests) + sum(errors) * 1000003 + sum(attempts) * 7 FROM rollup_dim_{table} WHERE dimension = '{dimension}'"));
            }
        }
    }

    [Fact]
    public async Task A_window_inside_one_minute_is_answered_from_raw_rows()
    {
        var from = fixture.Now.AddMinutes(-30).AddSeconds(-50);
        var to = from.AddSeconds(40);
        var rows = (await fixture.Client.GetFromJsonAsync<List<SlaRowDto>>($"/api/sla?from={Iso(from)}&to={Iso(to)}&groupBy=provider"))!;
        var expected = await ExpectedAsync("provider", from, to);
        Assert.Equal(expected.Values.Sum(e => e.Requests), rows!.Sum(r => r.Requests));
    }

    [Fact]
    public async Task Every_event_is_stored_once()
    {
        Assert.Equal(fixture.Events, await fixture.RowCountAsync());
        var (pending, lag) = await fixture.GroupStateAsync();
        Assert.Equal(0, pending);
        Assert.Equal(0, lag);
    }

    private static void Within1Percent(double? expected, double? actual)
    {
        Assert.NotNull(expected);
        Assert.NotNull(actual);
        Assert.True(Math.Abs(actual.Value - expected.Value) <= expected.Value * 0.01,
            $"expected {expected} within 1%, got {actual}");
    }

    // Independent of the service's rollups and histograms: PostgreSQL's own nearest-rank percentiles over raw rows.
    private async Task<Dictionary<string, Expected>> ExpectedAsync(string column, DateTimeOffset from, DateTimeOffset to, string where = "true")
    {
        await using var connection = new NpgsqlConnection(fixture.Postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"""
            WITH w AS (SELECT * FROM request_log WHERE started_at >= @from AND started_at < @to AND {where}),
            r AS (SELECT {column} AS g, client_status, client_latency_ms, client_ttft_ms FROM w
                  WHERE kind NOT IN ('Probe', 'Canary')
                    AND (winner OR (client_status NOT BETWEEN 200 AND 299 AND attempt >= greatest(attempts, 1)))),
            c AS (SELECT {column} AS g, sum(cost_usd) AS cost FROM w GROUP BY 1)
            SELECT r.g, count(*), count(*) FILTER (WHERE client_status = 0 OR client_status >= 500),
                   percentile_disc(0.5) WITHIN GROUP (ORDER BY client_latency_ms),
                   percentile_disc(0.95) WITHIN GROUP (ORDER BY client_latency_ms),
                   percentile_disc(0.99) WITHIN GROUP (ORDER BY client_latency_ms),
                   percentile_disc(0.5) WITHIN GROUP (ORDER BY client_ttft_ms),
                   percentile_disc(0.95) WITHIN GROUP (ORDER BY client_ttft_ms),
                   percentile_disc(0.99) WITHIN GROUP (ORDER BY client_ttft_ms),
                   min(c.cost)
            FROM r JOIN c ON c.g = r.g GROUP BY r.g
            """, connection);
        command.Parameters.AddWithValue("from", from);
        command.Parameters.AddWithValue("to", to);
        var result = new Dictionary<string, Expected>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            result[reader.GetString(0)] = new Expected(reader.GetInt64(1), reader.GetInt64(2), reader.GetDouble(3), reader.GetDouble(4),
                reader.GetDouble(5), reader.GetDouble(6), reader.GetDouble(7), reader.GetDouble(8), Math.Round(reader.GetDecimal(9), 8));
        }
        return result;
    }

    private static string Iso(DateTimeOffset t) => Uri.EscapeDataString(t.ToString("O", System.Globalization.CultureInfo.InvariantCulture));

    private sealed record Expected(long Requests, long Errors, double P50, double P95, double P99, double TtftP50, double TtftP95, double TtftP99, decimal Cost);
}

public sealed record SlaRowDto(string Group, long Requests, long Errors, double Availability, PercentilesDto LatencyMs, PercentilesDto TtftMs,
    decimal CostUsd, long Attempts, long AttemptFailures);

public sealed record PercentilesDto(double? P50, double? P95, double? P99);
