using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Switchboard.Testing.Stack;

namespace Switchboard.Security.Tests;

/// <summary>
/// Every admin route of Router.Worker and Metrics.Service, on the running processes, refuses a call without the
/// admin key, with a wrong one and with the key in the wrong scheme: 401 in the OpenAI error shape, and nothing
/// changed. The route list is checked against the services' source, so a route added later without being listed
/// here fails this test rather than going untested.
/// </summary>
[Collection(SecurityCollection.Name)]
public sealed partial class AdminAuthTests(SecurityStack fixture)
{
    /// <summary>(service, method, path): every route the two services map, parameters filled in.</summary>
    private static readonly (string Service, string Method, string Path, string Pattern)[] Routes =
    [
        ("router", "GET", "/api/routing/current", "/api/routing/current"),
        ("router", "GET", "/api/routing/versions", "/api/routing/versions"),
        ("router", "GET", "/api/routing/versions/1", "/api/routing/versions/{version:long}"),
        ("router", "POST", "/api/routing/validate", "/api/routing/validate"),
        ("router", "POST", "/api/routing/publish", "/api/routing/publish"),
        ("router", "POST", "/api/routing/rollback/1", "/api/routing/rollback/{version:long}"),
        ("router", "GET", "/api/alerts", "/api/alerts/"),
        ("router", "POST", "/api/alerts/1/ack", "/api/alerts/{id:long}/ack"),
        ("router", "GET", "/api/keys", "/api/keys/"),
        ("router", "POST", "/api/keys", "/api/keys/"),
        ("router", "PUT", "/api/keys/faults", "/api/keys/{name}"),
        ("router", "DELETE", "/api/keys/faults", "/api/keys/{name}"),
        ("router", "DELETE", "/api/keys?name=faults", "/api/keys/"),
        ("router", "GET", "/api/quality", "/api/quality/"),
        ("router", "GET", "/api/health", "/api/health/"),
        ("router", "GET", "/api/health/alpha/gpt-4o-2024-08-06", "/api/health/{provider}/{**model}"),
        ("metrics", "GET", "/api/cost", "/api/cost/"),
        ("metrics", "GET", "/api/requests", "/api/requests/"),
        ("metrics", "GET", "/api/requests/some-id", "/api/requests/{requestId}"),
        ("metrics", "GET", "/api/sla", "/api/sla/"),
        ("metrics", "GET", "/api/cascade", "/api/cascade/"),
        ("metrics", "GET", "/api/slo", "/api/slo/"),
        ("metrics", "GET", "/api/slo/alerts", "/api/slo/alerts"),
        ("metrics", "GET", "/api/timeseries", "/api/timeseries/"),
    ];

    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var (service, method, path, _) in Routes)
        {
            data.Add(service, method, path);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Admin_route_refuses_calls_without_the_right_key(string service, string method, string path)
    {
        var process = service == "router" ? fixture.Stack.Router : fixture.Stack.Metrics;
        using var http = new HttpClient { BaseAddress = process.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        AuthenticationHeaderValue?[] credentials =
        [
            null,
            new("Bearer", "wrong-" + SwitchboardStack.AdminKey),
            new("Bearer", SwitchboardStack.AdminKey[..^1]),
            new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + SwitchboardStack.AdminKey))),
            new("Bearer", ""),
        ];
        foreach (var credential in credentials)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            request.Headers.Authorization = credential;
            if (method is "POST" or "PUT")
            {
                request.Content = new StringContent("""{"name":"intruder","providers":{},"routes":{}}""", Encoding.UTF8, "application/json");
            }
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized,
                $"{method} {path} with {credential?.Scheme ?? "no"} credential: {(int)response.StatusCode} {body}");
            using var json = JsonDocument.Parse(body);
            Assert.Equal("authentication_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        }
    }

    [Fact]
    public async Task Nothing_was_changed_by_refused_calls()
    {
        foreach (var (_, method, path, _) in Routes.Where(r => r.Method != "GET"))
        {
            foreach (var process in new[] { fixture.Stack.Router, fixture.Stack.Metrics })
            {
                using var http = new HttpClient { BaseAddress = process.BaseAddress };
                using var request = new HttpRequestMessage(new HttpMethod(method), path)
                {
                    Content = new StringContent("""{"name":"intruder"}""", Encoding.UTF8, "application/json"),
                };
                using var response = await http.SendAsync(request);
                Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
                Assert.NotEqual(HttpStatusCode.Created, response.StatusCode);
                Assert.NotEqual(HttpStatusCode.NoContent, response.StatusCode);
            }
        }
        using var admin = new HttpClient { BaseAddress = fixture.Stack.Router.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", SwitchboardStack.AdminKey);
        var keys = await admin.GetStringAsync("/api/keys");
        Assert.DoesNotContain("intruder", keys, StringComparison.Ordinal);
    }

    /// <summary>
    /// Each Map{Get,Post,Put,Delete}("…") under a group in Router.Worker/Apis and Metrics.Service/Apis is in
    /// <see cref="Routes"/>; each group of Router.Worker carries the admin filter, and Metrics.Service maps its
    /// APIs under its one filtered /api group.
    /// </summary>
    [Fact]
    public void Every_mapped_admin_route_is_in_the_list()
    {
        var mapped = new List<string>();
        foreach (var (service, folder, prefix) in new[] { ("router", "Router.Worker", ""), ("metrics", "Metrics.Service", "/api") })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(RepoLayout.Root, folder, "Apis"), "*.cs"))
            {
                var source = File.ReadAllText(file);
                var group = GroupCall().Match(source);
                if (!group.Success)
                {
                    continue;
                }
                if (service == "router")
                {
                    Assert.True(source.Contains("AddEndpointFilter<AdminKeyFilter>()", StringComparison.Ordinal), $"{file}: a group without the admin filter");
                }
                foreach (Match m in MapCall().Matches(source))
                {
                    mapped.Add($"{service} {m.Groups[1].Value.ToUpperInvariant()} {prefix}{group.Groups[1].Value}{m.Groups[2].Value}");
                }
            }
        }
        var extensions = File.ReadAllText(Path.Combine(RepoLayout.Root, "Metrics.Service", "Extensions", "Extensions.cs"));
        Assert.Contains("MapGroup(\"/api\").AddEndpointFilter<AdminKeyFilter>()", extensions, StringComparison.Ordinal);

        var listed = Routes.Select(r => $"{r.Service} {r.Method} {r.Pattern}").ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(mapped);
        Assert.All(mapped, m => Assert.True(listed.Contains(m), $"{m} is mapped but not tested"));
    }

    [GeneratedRegex(@"MapGroup\(""([^""]+)""\)")]
    private static partial Regex GroupCall();

    [GeneratedRegex(@"\.Map(Get|Post|Put|Delete|Patch)\(""([^""]*)""")]
    private static partial Regex MapCall();
}
