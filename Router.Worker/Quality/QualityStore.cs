using Npgsql;
using Switchboard.Router.Data;

namespace Switchboard.Router.Quality;

/// <summary>Quality scores over time in controldb (<c>GET /api/quality</c>).</summary>
internal sealed class QualityStore(ControlDb db)
{
    public async Task AddAsync(IReadOnlyList<QualityScore> scores, CancellationToken ct)
    {
        if (scores.Count == 0)
        {
            return;
        }
        await using var conn = await db.OpenAsync(ct);
        var batch = new NpgsqlBatch(conn);
        await using (batch)
        {
            foreach (var s in scores)
            {
                var cmd = new NpgsqlBatchCommand("""
                    INSERT INTO quality_scores (provider, model, at, score, canary_runs, canary_passed, sampled, structure_failures, truncated_rate, drift_model)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING
                    """);
                cmd.Parameters.Add(new() { Value = s.Provider });
                cmd.Parameters.Add(new() { Value = s.Model });
                cmd.Parameters.Add(new() { Value = s.At });
                cmd.Parameters.Add(new() { Value = (object?)s.Score ?? DBNull.Value });
                cmd.Parameters.Add(new() { Value = s.CanaryRuns });
                cmd.Parameters.Add(new() { Value = s.CanaryPassed });
                cmd.Parameters.Add(new() { Value = s.Sampled });
                cmd.Parameters.Add(new() { Value = s.StructureFailures });
                cmd.Parameters.Add(new() { Value = s.TruncatedRate });
                cmd.Parameters.Add(new() { Value = (object?)s.DriftModel ?? DBNull.Value });
                batch.BatchCommands.Add(cmd);
            }
            await batch.ExecuteNonQueryAsync(ct);
        }
    }

    public async Task<IReadOnlyList<QualityScore>> ListAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("""
            SELECT provider, model, at, score, canary_runs, canary_passed, sampled, structure_failures, truncated_rate, drift_model
            FROM quality_scores WHERE at >= @from AND at <= @to ORDER BY provider, model, at LIMIT 10000
            """, conn);
        cmd.Parameters.AddWithValue("from", from);
        cmd.Parameters.AddWithValue("to", to);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<QualityScore>();
        while (await r.ReadAsync(ct))
        {
            list.Add(new(r.GetString(0), r.GetString(1), r.GetFieldValue<DateTimeOffset>(2), r.IsDBNull(3) ? null : r.GetDouble(3),
                r.GetInt32(4), r.GetInt32(5), r.GetInt32(6), r.GetInt32(7), r.GetDouble(8), r.IsDBNull(9) ? null : r.GetString(9)));
        }
        return list;
    }
}
