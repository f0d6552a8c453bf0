using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace StChat.Chat.Tests.Infrastructure;

// A WebSocket upgrade request sent as plain HTTP, so that a refusal can be read in full: status, headers and body.
public static class UpgradeRequest
{
    // `headers`: more request headers, e.g. Origin or X-Forwarded-For.
    public static async Task<UpgradeAnswer> SendAsync(Uri httpUri, string pathAndQuery, string? bearer = null, IReadOnlyDictionary<string, string>? headers = null)
    {
        using var http = new HttpClient { BaseAddress = httpUri, Timeout = ChatClient.DefaultTimeout };
        using var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new ProductHeaderValue("websocket"));
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)));
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.Add(name, value);
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode == HttpStatusCode.SwitchingProtocols)
        {
            return new UpgradeAnswer(response.StatusCode, null, "", Upgraded: true);
        }

        return new UpgradeAnswer(response.StatusCode, response.Content.Headers.ContentType?.MediaType,
            await response.Content.ReadAsStringAsync(), Upgraded: false, response.Headers.RetryAfter?.Delta);
    }
}

public sealed record UpgradeAnswer(HttpStatusCode Status, string? ContentType, string Body, bool Upgraded, TimeSpan? RetryAfter = null);
