using System.Net;

// Usage: BareForwarder --urls http://127.0.0.1:PORT --upstream http://127.0.0.1:UPSTREAM
// Every request goes to the same path upstream with its body, Authorization and Content-Type; the answer's status,
// Content-Type and body come back as they arrive (Kestrel flushes each write, so streamed chunks are not held).
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var upstream = new Uri(builder.Configuration["upstream"] ?? throw new InvalidOperationException("--upstream is required"));
var client = new HttpMessageInvoker(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None, UseCookies = false });

var app = builder.Build();
app.Map("/{**path}", async context =>
{
    using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(upstream, context.Request.Path + context.Request.QueryString));
    if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
    {
        request.Content = new StreamContent(context.Request.Body);
        request.Content.Headers.TryAddWithoutValidation("Content-Type", context.Request.ContentType);
    }
    request.Headers.TryAddWithoutValidation("Authorization", context.Request.Headers.Authorization.ToString());
    using var response = await client.SendAsync(request, context.RequestAborted);
    context.Response.StatusCode = (int)response.StatusCode;
    context.Response.ContentType = response.Content.Headers.ContentType?.ToString();
    context.Response.ContentLength = response.Content.Headers.ContentLength;
    await using var body = await response.Content.ReadAsStreamAsync(context.RequestAborted);
    await body.CopyToAsync(context.Response.Body, context.RequestAborted);
});
app.Run();
