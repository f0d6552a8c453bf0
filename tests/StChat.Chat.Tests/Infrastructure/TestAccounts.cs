using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace StChat.Chat.Tests.Infrastructure;

// Accounts made through the real REST API: POST /api/accounts, then POST /api/sessions for a token.
public static class TestAccounts
{
    public const string Password = "correct horse battery";

    // A unique account name starting with `prefix`, registered and signed in.
    public static async Task<SignedIn> SignUpAsync(ChatHost host, string prefix)
    {
        var name = $"{prefix}{Guid.NewGuid():N}"[..20];
        using var http = new HttpClient { BaseAddress = host.HttpUri };
        var created = await http.PostAsJsonAsync("api/accounts", new { name, password = Password });
        await EnsureAsync(created, HttpStatusCode.Created);
        return await SignInAsync(host, name);
    }

    public static async Task<SignedIn> SignInAsync(ChatHost host, string name)
    {
        using var http = new HttpClient { BaseAddress = host.HttpUri };
        var session = await http.PostAsJsonAsync("api/sessions", new { name, password = Password });
        await EnsureAsync(session, HttpStatusCode.Created);
        using var body = JsonDocument.Parse(await session.Content.ReadAsStringAsync());
        return new SignedIn(name, body.RootElement.GetProperty("token").GetString()!);
    }

    // The key of the direct conversation of two accounts: dm:<a>:<b>, lowercased and sorted.
    public static string DirectKey(SignedIn a, SignedIn b)
    {
        var names = new[] { a.Name.ToLowerInvariant(), b.Name.ToLowerInvariant() }.Order(StringComparer.Ordinal).ToArray();
        return $"dm:{names[0]}:{names[1]}";
    }

    public static HttpClient Client(ChatHost host, string? token)
    {
        var http = new HttpClient { BaseAddress = host.HttpUri };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return http;
    }

    private static async Task EnsureAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        if (response.StatusCode != expected)
        {
            throw new InvalidOperationException(
                $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }
}

public sealed record SignedIn(string Name, string Token);
