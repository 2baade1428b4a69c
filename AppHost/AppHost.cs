using Microsoft.Extensions.Configuration;
using Switchboard.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

var infra = Infrastructure.Add(builder);
var adminKey = builder.AddParameter("admin-key", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);
var routing = RoutingDocuments.Choose(builder);

var simulator = builder.AddProject<Projects.Provider_Simulator>("simulator")
    .WithHttpHealthCheck("/health");

var gateway = builder.AddProject<Projects.Gateway_Api>("gateway")
    .WithReference(infra.Redis)
    .WithReference(simulator).WaitFor(simulator)
    .WithEnvironment("SIMULATOR_URL", simulator.GetEndpoint("http"))
    .WithRoutingDocument(builder, routing)
    .WithProviderKeys(routing)
    .WithReplicas(builder.Configuration.GetValue("Switchboard:GatewayReplicas", 1))
    .WithHttpHealthCheck("/health");

var router = builder.AddProject<Projects.Router_Worker>("router")
    .WithReference(infra.Redis).WithReference(infra.ControlDb)
    .WithReference(simulator)
    .WithEnvironment("SIMULATOR_URL", simulator.GetEndpoint("http"))
    .WithEnvironment("Switchboard__AdminKey", adminKey)
    .WithRoutingDocument(builder, routing)
    .WithProviderKeys(routing)
    .WithHttpHealthCheck("/health");

var metrics = builder.AddProject<Projects.Metrics_Service>("metrics")
    .WithReference(infra.Redis).WithReference(infra.MetricsDb)
    .WithEnvironment("Switchboard__AdminKey", adminKey)
    .WithRoutingDocument(builder, routing)
    .WithHttpHealthCheck("/health");

infra.WaitForServers(gateway, router, metrics);

builder.AddProject<Projects.Admin_Web>("admin")
    .WithReference(metrics).WaitFor(metrics)
    .WithReference(router).WaitFor(router)
    .WithReference(gateway)
    .WithEnvironment("Switchboard__AdminKey", adminKey)
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health");

gateway.WithExternalHttpEndpoints();

builder.Build().Run();
