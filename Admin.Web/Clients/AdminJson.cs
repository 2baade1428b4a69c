using System.Text.Json;
using System.Text.Json.Serialization;
using Switchboard.Contracts.Health;

namespace Switchboard.Admin.Clients;

/// <summary>Source-generated JSON for both service clients: web defaults (camelCase, case-insensitive).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(IReadOnlyList<SlaRow>))]
[JsonSerializable(typeof(IReadOnlyList<SloRow>))]
[JsonSerializable(typeof(IReadOnlyList<CostRow>))]
[JsonSerializable(typeof(IReadOnlyList<TimeSeries>))]
[JsonSerializable(typeof(IReadOnlyList<RequestRow>))]
[JsonSerializable(typeof(IReadOnlyList<DeploymentHealth>))]
[JsonSerializable(typeof(IReadOnlyList<AlertItem>))]
[JsonSerializable(typeof(IReadOnlyList<QualitySeries>))]
[JsonSerializable(typeof(IReadOnlyList<RoutingVersion>))]
[JsonSerializable(typeof(RoutingVersion))]
[JsonSerializable(typeof(PublishRequest))]
[JsonSerializable(typeof(ValidationResult))]
[JsonSerializable(typeof(IReadOnlyList<GatewayKeyInfo>))]
[JsonSerializable(typeof(CreateKeyRequest))]
[JsonSerializable(typeof(CreatedKey))]
public sealed partial class AdminJson : JsonSerializerContext;
