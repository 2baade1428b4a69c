using System.Net;
using Yarp.ReverseProxy.Forwarder;

// Usage: YarpForwarder --urls http://127.0.0.1:PORT --upstream http://127.0.0.1:UPSTREAM
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Services.AddHttpForwarder();
var upstream = builder.Configuration["upstream"] ?? throw new InvalidOperationException("--upstream is required");

var app = builder.Build();
var invoker = new HttpMessageInvoker(new SocketsHttpHandler
{
    UseProxy = false,
    AllowAutoRedirect = false,
    AutomaticDecompression = DecompressionMethods.None,
    UseCookies = false,
    EnableMultipleHttp2Connections = true,
    ConnectTimeout = TimeSpan.FromSeconds(15),
});
app.MapForwarder("/{**catch-all}", upstream, ForwarderRequestConfig.Empty, HttpTransformer.Empty, invoker);
app.Run();
