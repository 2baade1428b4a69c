using System.Text;
using Microsoft.EntityFrameworkCore;

namespace Switchboard.Metrics.Data;

/// <summary>The metricsdb schema: the raw request log and the minute and hour rollups (snake_case names).</summary>
internal sealed class MetricsDbContext(DbContextOptions<MetricsDbContext> options) : DbContext(options)
{
    public DbSet<RequestLogEntry> RequestLog => Set<RequestLogEntry>();
    public DbSet<MinuteRollup> MinuteRollups => Set<MinuteRollup>();
    public DbSet<HourRollup> HourRollups => Set<HourRollup>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<RequestLogEntry>(e =>
        {
            e.ToTable("request_log");
            e.HasKey(x => new { x.RequestId, x.Attempt });
            // Range scans by time (API, rollup edges) and retention deletes.
            e.HasIndex(x => x.StartedAt).HasDatabaseName("ix_request_log_started_at");
            e.Property(x => x.CostUsd).HasPrecision(18, 10);
            e.Property(x => x.IngestedAt).HasDefaultValueSql("now()");
        });
        ConfigureRollup<MinuteRollup>(modelBuilder, "rollup_minute");
        ConfigureRollup<HourRollup>(modelBuilder, "rollup_hour");

        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(SnakeCase(property.Name));
            }
        }
    }

    private static void ConfigureRollup<T>(ModelBuilder modelBuilder, string table) where T : RollupRow
    {
        modelBuilder.Entity<T>(e =>
        {
            e.ToTable(table);
            e.HasKey(x => new { x.Bucket, x.Provider, x.Model, x.Route, x.KeyName, x.Task });
            foreach (var cost in new[] { nameof(RollupRow.CostUsd), nameof(RollupRow.UsefulCostUsd), nameof(RollupRow.HedgeCostUsd), nameof(RollupRow.RetryCostUsd) })
            {
                e.Property(cost).HasPrecision(20, 10);
            }
        });
    }

    internal static string SnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c) && i > 0)
            {
                sb.Append('_');
            }
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }
}
