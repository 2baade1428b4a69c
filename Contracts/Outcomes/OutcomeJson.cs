using System.Text.Json;
using System.Text.Json.Serialization;
using Switchboard.Contracts.Health;

namespace Switchboard.Contracts.Outcomes;

/// <summary>Source-generated JSON for every record that crosses a service boundary.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(OutcomeEvent))]
[JsonSerializable(typeof(HealthSnapshot))]
[JsonSerializable(typeof(DeploymentHealth[]))]
[JsonSerializable(typeof(SnapshotChange))]
[JsonSerializable(typeof(CredentialReport))]
public sealed partial class ContractJson : JsonSerializerContext;
