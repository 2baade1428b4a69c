using Switchboard.Gateway.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApplicationServices();
builder.AddConnectionLimits();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapApplicationEndpoints();
app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
