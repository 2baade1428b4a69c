using Npgsql;
using StackExchange.Redis;
using Switchboard.Contracts.Routing;
using Switchboard.Metrics.Data;
using Switchboard.Metrics.Slo;

namespace Switchboard.Metrics.Cascade;

/// <summary>One route of <c>GET /api/cascade</c>: who answered, what it cost, and what always asking the last tier would have.</summary>
internal sealed record CascadeRow(
    string Route,
    long Requests,
    long Answered,
    long Errors,
    long Escalated,
    double? EscalatedShare,
    IReadOnlyList<CascadeTier> Tiers,
    decimal CostUsd,
    decimal? LastTierCostUsd,
    decimal? CostSavedUsd,
    double? SavedShare,
    LastTierPrice? LastTier);

/// <summary>
/// One tier of a cascade route: requests it answered (and their share of all answered), its attempts and cost, its
/// deployments (the routing document's target for the tier and any other the request log saw at it) and their canary
/// quality now (<see cref="Quality"/> null when Router.Worker has measured none of them).
/// </summary>
internal sealed record CascadeTier(
    int Tier,
    IReadOnlyList<string> Models,
    long Answered,
    double? Share,
    long Attempts,
    decimal CostUsd,
    double? AvgConfidence,
    IReadOnlyList<TierDeployment> Deployments,
    TierQuality? Quality);

/// <summary>
/// The price used for the always-last-tier estimate, USD per million tokens. Source: <c>routing-document</c> (the
/// document's <c>prices</c> entry for the last tier's model), <c>observed</c> (fitted from what the last tier's own
/// successful attempts in the window cost), or <c>observed-blended</c> (one price per token, when input and output
/// token counts could not be told apart, e.g. every answer the same length).
/// </summary>
internal sealed record LastTierPrice(int Tier, string? Model, decimal InputPerMTok, decimal OutputPerMTok, string Source);

/// <summary>
/// Cascade routes (attempts with a tier) from the raw request log over a window. A request is counted once, by the
/// attempt that stands for it (<see cref="Rollups.Accounting"/>); it was answered by the tier of its winner. Its cost is
/// every attempt it made: each tier asked, retries and hedges inside tiers, scorer calls.
/// Cost saved = (what always asking the last tier would have cost) - (what the cascade cost). The first term is, for a
/// request the last tier answered, that answer's actual cost; for one a lower tier answered, the same input and output
/// tokens at the last tier's price (cached input at the cached price when the document gives one). That assumes the last
/// tier would have answered with as many tokens as the cheap one did. Unanswered requests add nothing to it.
/// </summary>
internal sealed class CascadeReport(MetricsDatabase database, RouteObjectives routing, IConnectionMultiplexer redis, ILogger<CascadeReport> logger)
{
    private readonly DeploymentQualitySource _quality = new(redis, logger);

    private const string Window = "tier IS NOT NULL AND started_at >= @from AND started_at < @to";

    // Every attempt of every request that had a cascade attempt in the window (scorer calls with no tier included).
    private const string Attempts =
        "WITH c AS MATERIALIZED (SELECT DISTINCT route, request_id FROM request_log WHERE " + Window + "{0}), " +
        "a AS (SELECT r.* FROM request_log r JOIN c USING (route, request_id)) ";

    private const string PerTier =
        "SELECT route, tier, model, count(*), count(*) FILTER (WHERE counted AND winner), coalesce(sum(cost_usd), 0), " +
        "coalesce(sum(input_tokens) FILTER (WHERE counted AND winner), 0), " +
        "coalesce(sum(cached_input_tokens) FILTER (WHERE counted AND winner), 0), " +
        "coalesce(sum(output_tokens) FILTER (WHERE counted AND winner), 0), " +
        "coalesce(sum(cost_usd) FILTER (WHERE counted AND winner), 0), " +
        "avg(confidence) FILTER (WHERE counted AND winner), " +
        // Least-squares sums for cost = a * input + b * output over successful attempts with tokens.
        "count(*) FILTER (WHERE ok), coalesce(sum(i * i) FILTER (WHERE ok), 0), coalesce(sum(i * o) FILTER (WHERE ok), 0), " +
        "coalesce(sum(o * o) FILTER (WHERE ok), 0), coalesce(sum(i * c) FILTER (WHERE ok), 0), coalesce(sum(o * c) FILTER (WHERE ok), 0), " +
        "coalesce(sum(c) FILTER (WHERE ok), 0), coalesce(sum(i + o) FILTER (WHERE ok), 0), provider " +
        "FROM (SELECT *, input_tokens::float8 AS i, output_tokens::float8 AS o, cost_usd::float8 AS c, " +
        "outcome = 'Success' AND input_tokens + output_tokens > 0 AS ok FROM a) x GROUP BY route, tier, provider, model";

    private const string PerRoute =
        "SELECT route, count(*) FILTER (WHERE counted), " +
        "count(*) FILTER (WHERE counted AND (client_status = 0 OR client_status >= 500)), " +
        "count(DISTINCT request_id) FILTER (WHERE kind = 'Escalation') FROM a GROUP BY route";

    public async Task<IReadOnlyList<CascadeRow>> GetAsync(DateTimeOffset from, DateTimeOffset to, string? route, CancellationToken cancellationToken)
    {
        var routeFilter = route is null ? "" : " AND route = @route";
        var prefix = string.Format(System.Globalization.CultureInfo.InvariantCulture, Attempts, routeFilter);
        var tiers = new Dictionary<string, List<TierFacts>>(StringComparer.Ordinal);
        var routes = new Dictionary<string, (long Requests, long Errors, long Escalated)>(StringComparer.Ordinal);
        await using (var lease = await database.OpenAsync(cancellationToken))
        await using (var batch = new NpgsqlBatch(lease.Connection))
        {
            foreach (var sql in new[] { prefix + PerTier, prefix + PerRoute })
            {
                var command = new NpgsqlBatchCommand(sql);
                command.Parameters.AddWithValue("from", from);
                command.Parameters.AddWithValue("to", to);
                if (route is not null)
                {
                    command.Parameters.AddWithValue("route", route);
                }
                batch.BatchCommands.Add(command);
            }
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var name = reader.GetString(0);
                if (!tiers.TryGetValue(name, out var list))
                {
                    tiers[name] = list = [];
                }
                list.Add(new TierFacts(
                    reader.IsDBNull(1) ? null : reader.GetInt32(1), reader.GetString(19), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4),
                    reader.GetDecimal(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8), reader.GetDecimal(9),
                    reader.IsDBNull(10) ? null : reader.GetDouble(10),
                    new Fit(reader.GetInt64(11), reader.GetDouble(12), reader.GetDouble(13), reader.GetDouble(14), reader.GetDouble(15),
                        reader.GetDouble(16), reader.GetDouble(17), reader.GetDouble(18))));
            }
            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                routes[reader.GetString(0)] = (reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
            }
        }
        var document = routing.Document;
        var quality = tiers.Count == 0 ? null : await _quality.ReadAsync();
        return [.. tiers.OrderBy(t => t.Key, StringComparer.Ordinal)
            .Select(t => Summarise(t.Key, t.Value, routes.GetValueOrDefault(t.Key), document, quality))];
    }

    internal static CascadeRow Summarise(string route, List<TierFacts> facts, (long Requests, long Errors, long Escalated) counts,
        RoutingDocument? document, QualityView? quality)
    {
        var tiered = facts.Where(f => f.Tier is not null).ToList();
        var answered = tiered.Sum(f => f.Answered);
        // The route's cascade in the routing document (none: not a cascade there now, or no document): looked up once.
        IReadOnlyList<TargetConfig> targets = document?.Routes.GetValueOrDefault(route) is { Strategy: RouteStrategies.Cascade } cascade
            ? cascade.Targets : [];
        // Every tier of the document, asked in the window or not (the last tier's quality matters most when it never was).
        var tierNumbers = tiered.Select(f => f.Tier!.Value).Concat(Enumerable.Range(0, targets.Count)).Distinct().Order();
        var tiers = tierNumbers
            .Select(tier => (Key: tier, Facts: tiered.Where(f => f.Tier == tier).ToList()))
            .Select(x =>
            {
                var (key, g) = x;
                var n = g.Sum(f => f.Answered);
                var withConfidence = g.Where(f => f.AvgConfidence is not null && f.Answered > 0).ToList();
                double? confidence = withConfidence.Count == 0 ? null
                    : Math.Round(withConfidence.Sum(f => f.AvgConfidence!.Value * f.Answered) / withConfidence.Sum(f => f.Answered), 4);
                var deployments = Deployments(key < targets.Count ? targets[key] : null, g, quality);
                return new CascadeTier(key, [.. deployments.Select(d => d.Model).Distinct().Order(StringComparer.Ordinal)], n,
                    answered == 0 ? null : Math.Round((double)n / answered, 4), g.Sum(f => f.Attempts), Math.Round(g.Sum(f => f.CostUsd), 8),
                    confidence, deployments, quality?.Tier(deployments));
            })
            .ToList();
        var cost = Math.Round(facts.Sum(f => f.CostUsd), 8);
        var price = LastTierPriceOf(targets, tiered, document);
        decimal? baseline = null;
        if (price is not null)
        {
            var cachedPrice = CachedPrice(price, document);
            baseline = 0m;
            foreach (var f in tiered)
            {
                baseline += f.Tier == price.Tier
                    ? f.AnsweredCostUsd
                    : (((f.AnsweredInputTokens - f.AnsweredCachedTokens) * price.InputPerMTok)
                       + (f.AnsweredCachedTokens * cachedPrice) + (f.AnsweredOutputTokens * price.OutputPerMTok)) / 1_000_000m;
            }
            baseline = Math.Round(baseline.Value, 8);
        }
        var saved = baseline - cost;
        return new CascadeRow(route, counts.Requests, answered, counts.Errors, counts.Escalated,
            counts.Requests == 0 ? null : Math.Round((double)counts.Escalated / counts.Requests, 4),
            tiers, cost, baseline, saved,
            baseline is > 0 ? Math.Round((double)(saved!.Value / baseline.Value), 4) : null, price);
    }

    /// <summary>The tier's deployments: the document's target first, then the others its attempts went to, by attempts.</summary>
    private static List<TierDeployment> Deployments(TargetConfig? target, List<TierFacts> facts, QualityView? quality)
    {
        var attempts = facts.GroupBy(f => (f.Provider, f.Model)).ToDictionary(g => g.Key, g => g.Sum(f => f.Attempts));
        var keys = attempts.OrderByDescending(a => a.Value).ThenBy(a => a.Key.Provider, StringComparer.Ordinal)
            .ThenBy(a => a.Key.Model, StringComparer.Ordinal).Select(a => a.Key).ToList();
        if (target is not null)
        {
            keys.Remove((target.Provider, target.Model));
            keys.Insert(0, (target.Provider, target.Model));
        }
        return [.. keys.Select(k =>
        {
            var n = attempts.GetValueOrDefault(k);
            return quality?.Deployment(k.Provider, k.Model, n) ?? new TierDeployment(k.Provider, k.Model, n, null, null, null);
        })];
    }

    /// <summary>
    /// The last tier and its price: the routing document's (<paramref name="targets"/>: the route's cascade there) when it
    /// has one, else fitted from the window.
    /// </summary>
    private static LastTierPrice? LastTierPriceOf(IReadOnlyList<TargetConfig> targets, List<TierFacts> tiered, RoutingDocument? document)
    {
        int? last = null;
        string? model = null;
        if (targets.Count > 0)
        {
            last = targets.Count - 1;
            model = targets[^1].Model;
            if (document?.Prices.GetValueOrDefault(model) is { } listed)
            {
                return new LastTierPrice(last.Value, model, listed.InputPerMTok, listed.OutputPerMTok, "routing-document");
            }
        }
        last ??= tiered.Count == 0 ? null : tiered.Max(f => f.Tier);
        if (last is null)
        {
            return null;
        }
        var atLast = tiered.Where(f => f.Tier == last).ToList();
        model ??= atLast.OrderByDescending(f => f.Attempts).Select(f => f.Model).FirstOrDefault();
        var fit = atLast.Aggregate(Fit.Empty, (sum, f) => sum + f.Fit);
        return fit.Solve() is { } p ? new LastTierPrice(last.Value, model, p.Input, p.Output, p.Source) : null;
    }

    private static decimal CachedPrice(LastTierPrice price, RoutingDocument? document) =>
        price.Source == "routing-document" && price.Model is not null
        && document?.Prices.GetValueOrDefault(price.Model)?.CachedInputPerMTok is { } cached
            ? cached
            : price.InputPerMTok;

    internal sealed record TierFacts(
        int? Tier,
        string Provider,
        string Model,
        long Attempts,
        long Answered,
        decimal CostUsd,
        long AnsweredInputTokens,
        long AnsweredCachedTokens,
        long AnsweredOutputTokens,
        decimal AnsweredCostUsd,
        double? AvgConfidence,
        Fit Fit);

    /// <summary>Sums for the least-squares fit of cost = a * input + b * output (per token).</summary>
    internal readonly record struct Fit(long N, double Ii, double Io, double Oo, double Ic, double Oc, double C, double Tokens)
    {
        public static Fit Empty => default;

        public static Fit operator +(Fit a, Fit b) =>
            new(a.N + b.N, a.Ii + b.Ii, a.Io + b.Io, a.Oo + b.Oo, a.Ic + b.Ic, a.Oc + b.Oc, a.C + b.C, a.Tokens + b.Tokens);

        /// <summary>Per-million-token prices; blended (one price for both) when the two cannot be told apart.</summary>
        public (decimal Input, decimal Output, string Source)? Solve()
        {
            if (N == 0 || Tokens <= 0)
            {
                return null;
            }
            var det = (Ii * Oo) - (Io * Io);
            if (N >= 2 && det > 1e-9 * Ii * Oo)
            {
                var a = ((Ic * Oo) - (Oc * Io)) / det;
                var b = ((Oc * Ii) - (Ic * Io)) / det;
                if (a >= 0 && b >= 0 && double.IsFinite(a) && double.IsFinite(b))
                {
                    return (PerMTok(a), PerMTok(b), "observed");
                }
            }
            var blended = PerMTok(C / Tokens);
            return (blended, blended, "observed-blended");
        }

        private static decimal PerMTok(double perToken) => Math.Round((decimal)(perToken * 1_000_000), 6);
    }
}
