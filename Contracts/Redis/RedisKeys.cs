namespace Switchboard.Contracts.Redis;

/// <summary>Every Redis key, stream and channel name Switchboard services share.</summary>
public static class RedisKeys
{
    /// <summary>Stream of <see cref="Outcomes.OutcomeEvent"/>s, one field <see cref="OutcomeField"/> holding JSON.</summary>
    public const string OutcomesStream = "outcomes";
    /// <summary>The stream field that holds the event JSON.</summary>
    public const string OutcomeField = "e";
    /// <summary>Dead-letter stream for events a consumer could not process (fields: e, reason, consumer).</summary>
    public const string OutcomesDeadLetterStream = "outcomes:dead";
    /// <summary>Consumer group of Router.Worker on the outcomes stream.</summary>
    public const string RouterConsumerGroup = "router";
    /// <summary>Consumer group of Metrics.Service on the outcomes stream.</summary>
    public const string MetricsConsumerGroup = "metrics";

    /// <summary>String: the current <see cref="Health.HealthSnapshot"/> JSON.</summary>
    public const string HealthSnapshot = "switchboard:health";
    /// <summary>String: the published routing document JSON (the baseline file applies when absent).</summary>
    public const string RoutingDocument = "switchboard:routing";
    /// <summary>String: the version number of <see cref="RoutingDocument"/>.</summary>
    public const string RoutingVersion = "switchboard:routing:version";
    /// <summary>Pub/sub channel announcing a <see cref="Health.SnapshotChange"/>.</summary>
    public const string ChangesChannel = "switchboard:changes";
    /// <summary>Pub/sub channel for <see cref="Health.CredentialReport"/>s.</summary>
    public const string CredentialReportsChannel = "switchboard:credentials:refused";
    /// <summary>String with expiry: the Router.Worker leader lease.</summary>
    public const string RouterLeaderLease = "switchboard:router:leader";
    /// <summary>Hash: gateway keys published by Router.Worker (name -> salted hash JSON).</summary>
    public const string GatewayKeys = "switchboard:keys";

    /// <summary>String counter: the last <see cref="Health.HealthSnapshot.Version"/> issued (INCR by the Router.Worker leader).</summary>
    public const string HealthVersion = "switchboard:health:version";
    /// <summary>
    /// String: the <see cref="Health.HealthSnapshot.Epoch"/> of <see cref="HealthVersion"/> (Unix ms when the counter
    /// started). Set by the Router.Worker leader whenever it finds the counter lost or gone back.
    /// </summary>
    public const string HealthEpoch = "switchboard:health:epoch";
    /// <summary>
    /// Hash: provider name -> credential version (a fingerprint of its current keys, never a key). Router.Worker
    /// changes it when a provider's credentials rotate and announces it on <see cref="ChangesChannel"/> with
    /// <c>SnapshotChange { Kind = "credentials" }</c>; gateways then re-read the keys from their own secret source.
    /// </summary>
    public const string CredentialVersions = "switchboard:credentials:version";

    /// <summary>Prefix of per-key request/token rate counters.</summary>
    public static string KeyRate(string keyName) => $"switchboard:rate:key:{keyName}";
    /// <summary>Prefix of per-provider rate counters shared by gateway replicas.</summary>
    public static string ProviderRate(string provider) => $"switchboard:rate:provider:{provider}";
    /// <summary>
    /// Hash: budget ledger of a gateway key, written by gateways with atomic scripts. Fields
    /// <see cref="BudgetSpentField"/> (settled spend) and <see cref="BudgetReservedField"/> (held by requests in
    /// flight), both integer nano-USD (divide by 1e9 for USD). Router.Worker's keys API reads the spend here.
    /// </summary>
    public static string KeyBudget(string keyName) => $"switchboard:budget:{keyName}";
    /// <summary>Sorted set: open budget reservations of a gateway key (member <c>id:nanoUsd</c>, score = expiry, unix ms).</summary>
    public static string KeyBudgetReservations(string keyName) => $"switchboard:budget:{keyName}:reservations";
    /// <summary>Field of <see cref="KeyBudget"/>: settled spend, integer nano-USD.</summary>
    public const string BudgetSpentField = "spentNanoUsd";
    /// <summary>Field of <see cref="KeyBudget"/>: reserved by requests in flight, integer nano-USD.</summary>
    public const string BudgetReservedField = "reservedNanoUsd";

    /// <summary>USD as the budget ledger's integer nano-USD (rounded to the nearest, halves away from zero).</summary>
    public static long ToNanoUsd(decimal usd) => (long)decimal.Round(usd * 1_000_000_000m, MidpointRounding.AwayFromZero);
    /// <summary>The budget ledger's integer nano-USD as USD (exact).</summary>
    public static decimal FromNanoUsd(long nano) => nano / 1_000_000_000m;
}
