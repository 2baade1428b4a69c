using System.Text.Json;
using StackExchange.Redis;
using Switchboard.Contracts.Health;
using Switchboard.Contracts.Outcomes;
using Switchboard.Contracts.Redis;
using Switchboard.Contracts.Routing;

namespace Switchboard.Router.Routing;

/// <summary>Outcome of a publish or rollback.</summary>
internal sealed record PublishResult(RoutingVersion? Version, IReadOnlyList<RoutingError> Errors);

/// <summary>
/// Validates (the gateway's validator), stores a new version in controldb, mirrors it to Redis
/// (<see cref="RedisKeys.RoutingDocument"/> + <see cref="RedisKeys.RoutingVersion"/>) and announces it. The
/// Redis write is a Lua compare so two concurrent publishes never leave the older one in place.
/// </summary>
internal sealed partial class RoutingPublisher(
    RoutingVersionStore store, RoutingState state, IConnectionMultiplexer redis, ILogger<RoutingPublisher> logger)
{
    private const string WriteScript = """
        local current = tonumber(redis.call('GET', KEYS[2]) or '0')
        if current < tonumber(ARGV[2]) then
            redis.call('SET', KEYS[1], ARGV[1])
            redis.call('SET', KEYS[2], ARGV[2])
            redis.call('PUBLISH', ARGV[3], ARGV[4])
            return 1
        end
        return 0
        """;

    public async Task<PublishResult> PublishAsync(string text, string author, string? comment, long? rolledBackFrom, CancellationToken ct)
    {
        var parsed = state.Parse(text);
        if (!parsed.IsValid)
        {
            return new(null, parsed.Errors);
        }
        var version = await store.AddAsync(text, author, comment, rolledBackFrom, ct);
        state.TryApply(version.Version, text);
        await MirrorAsync(version.Version, text);
        LogPublished(logger, version.Version, author);
        return new(version, []);
    }

    public async Task<PublishResult?> RollbackAsync(long version, string author, CancellationToken ct)
    {
        string? text;
        if (version == 0)
        {
            text = state.BaselineText();
        }
        else
        {
            text = (await store.GetAsync(version, ct))?.Content;
        }
        return text is null ? null : await PublishAsync(text, author, $"rollback to version {version}", version, ct);
    }

    /// <summary>Writes a version to Redis unless a newer one is there; true when written.</summary>
    public async Task<bool> MirrorAsync(long version, string text)
    {
        var change = JsonSerializer.Serialize(new SnapshotChange("routing", version), ContractJson.Default.SnapshotChange);
        var written = (long)await redis.GetDatabase().ScriptEvaluateAsync(WriteScript,
            [RedisKeys.RoutingDocument, RedisKeys.RoutingVersion],
            [text, version, RedisKeys.ChangesChannel, change]);
        return written == 1;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Routing document version {Version} published by {Author}")]
    private static partial void LogPublished(ILogger logger, long version, string author);
}
