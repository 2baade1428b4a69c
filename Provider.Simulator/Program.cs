using Switchboard.Simulator.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.WithoutRequestDiagnosticsUnlessExported();
builder.AddApplicationServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapApplicationEndpoints();
app.Run();

// Entry point, visible to WebApplicationFactory in tests.
public partial class Program;
