using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace StChat.Bench;

// The REST calls the accounts section makes, as any client of the API would: sign-up, sign-in and posting
// a message. One HttpClient per instance; each call that runs concurrently gets its own pooled HTTP/1.1 connection.
internal sealed class StChatApi : IDisposable
{
    private readonly HttpClient _http;

    public StChatApi(Uri baseUri)
    {
        _http = new HttpClient(new SocketsHttpHandler
        {
            UseCookies = false,
            ConnectTimeout = TimeSpan.FromSeconds(10),
        })
        {
            BaseAddress = baseUri,
            Timeout = TimeSpan.FromSeconds(60),
        };
    }

    public async Task CreateAccountAsync(string name, string password, CancellationToken ct)
    {
        using var response = await _http.PostAsJsonAsync("api/accounts", new { name, password }, ct);
        await ExpectAsync(response, HttpStatusCode.Created, "POST /api/accounts", ct);
    }

    public async Task<string> SignInAsync(string name, string password, CancellationToken ct)
    {
        var (status, token, error) = await TrySignInAsync(name, password, ct);
        return status == HttpStatusCode.Created ? token! : throw new InvalidOperationException($"POST /api/sessions answered {(int)status}: {error}");
    }

    // The status and, on 201, the session token; otherwise the problem details as text.
    public async Task<(HttpStatusCode Status, string? Token, string? Error)> TrySignInAsync(string name, string password, CancellationToken ct)
    {
        using var response = await _http.PostAsJsonAsync("api/sessions", new { name, password }, ct);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            return (response.StatusCode, null, await response.Content.ReadAsStringAsync(ct));
        }

        using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
        return (response.StatusCode, body.RootElement.GetProperty("token").GetString(), null);
    }

    // POST /api/groups: the new group's conversation key.
    public async Task<string> CreateGroupAsync(string token, string title, IReadOnlyList<string> members, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/groups") { Content = JsonContent.Create(new { title, members }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request, ct);
        await ExpectAsync(response, HttpStatusCode.Created, "POST /api/groups", ct);
        using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
        return body.RootElement.GetProperty("room").GetString()!;
    }

    // POST /api/conversations/{room}/messages with an Idempotency-Key; the status, how long the call took, and the
    // problem details when it failed.
    public async Task<(HttpStatusCode Status, TimeSpan Elapsed, string? Error)> PostMessageAsync(
        string token, string room, string text, string idempotencyKey, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/conversations/{Uri.EscapeDataString(room)}/messages")
        {
            Content = JsonContent.Create(new { text }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        var started = Stopwatch.GetTimestamp();
        using var response = await _http.SendAsync(request, ct);
        var elapsed = Stopwatch.GetElapsedTime(started);
        return (response.StatusCode, elapsed, response.IsSuccessStatusCode ? null : await response.Content.ReadAsStringAsync(ct));
    }

    // GET /api/conversations/{room}/events?before=N&limit=L: how many events came back and how long the call took.
    public async Task<(int Events, TimeSpan Elapsed)> ReadEventsBeforeAsync(string token, string room, long before, int limit, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get,
            $"api/conversations/{Uri.EscapeDataString(room)}/events?before={before.ToString(CultureInfo.InvariantCulture)}&limit={limit.ToString(CultureInfo.InvariantCulture)}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var started = Stopwatch.GetTimestamp();
        using var response = await _http.SendAsync(request, ct);
        await ExpectAsync(response, HttpStatusCode.OK, "GET /api/conversations/{key}/events", ct);
        using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
        var elapsed = Stopwatch.GetElapsedTime(started);
        return (body.RootElement.GetProperty("events").GetArrayLength(), elapsed);
    }

    public void Dispose() => _http.Dispose();

    private static async Task ExpectAsync(HttpResponseMessage response, HttpStatusCode expected, string call, CancellationToken ct)
    {
        if (response.StatusCode != expected)
        {
            throw new InvalidOperationException($"{call} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        }
    }
}
