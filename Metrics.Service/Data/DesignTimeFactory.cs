using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Switchboard.Metrics.Data;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the service.</summary>
internal sealed class DesignTimeFactory : IDesignTimeDbContextFactory<MetricsDbContext>
{
    public MetricsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<MetricsDbContext>()
            .UseNpgsql("Host=localhost;Database=metricsdb")
            .Options);
}
