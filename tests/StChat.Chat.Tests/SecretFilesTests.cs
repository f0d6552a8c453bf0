using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Encodings.Web;
using System.Text.Json;
using Npgsql;
using StChat.Chat.Tests.Infrastructure;
using StChat.Testing;
using Xunit;

namespace StChat.Chat.Tests;

// Every secret delivered through a file, each one a value that breaks naive parsing (quotes, semicolons, '=', spaces,
// non-ASCII): the PostgreSQL password (Postgres:PasswordFile, for a role made with it), the NATS user's password
// (Nats:PasswordFile), the PFX password of the https certificate (Chat:Tls:PasswordFile), plus an account's password and
// session token and a password a client put in a URL. `serve` (migrations, ingest, chat over wss) and `feeds` run a
// whole scenario at Trace level; no log of either holds any secret in any encoding.
public sealed class SecretFilesTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>, IDisposable
{
    private readonly NatsServerCertificate _certificate = NatsServerCertificate.Create();

    [Theory]
    [InlineData("simple")]
    [InlineData("json")]
    public async Task A_full_scenario_with_secrets_from_files_leaves_none_of_them_in_any_log(string formatter)
    {
        var tag = Guid.NewGuid().ToString("N")[..10];
        var pgPassword = $"pg \"dq\" 'sq'; Password=x; é ü {tag}";
        var natsPassword = $"nats;pass=\"w\" ord é {tag}";
        var pfxPassword = $"pfx; \"pw\"=ü ' {tag}";
        var accountPassword = $"acct \"pw\"; x=y é {tag}";
        var urlPassword = $"url pw;&x=\"é\" {tag}";
        var directory = Path.GetDirectoryName(_certificate.CertFile)!;

        var role = "secrets_" + tag;
        await using (var admin = new NpgsqlConnection(database.ConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand("SELECT format('CREATE ROLE %I LOGIN SUPERUSER PASSWORD %L', $1, $2)", admin);
            create.Parameters.Add(new NpgsqlParameter { Value = role });
            create.Parameters.Add(new NpgsqlParameter { Value = pgPassword });
            await using var ddl = new NpgsqlCommand((string)(await create.ExecuteScalarAsync())!, admin);
            await ddl.ExecuteNonQueryAsync();
        }

        var postgres = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Username = role, Password = null }.ConnectionString;
        await using var nats = await NatsServer.StartAsync(new NatsServerOptions { User = "stchat", Password = natsPassword });
        var environment = new Dictionary<string, string>
        {
            ["Postgres__PasswordFile"] = await SecretFileAsync(directory, "pg-password", pgPassword),
            ["Nats__Url"] = nats.Url,
            ["Nats__User"] = "stchat",
            ["Nats__PasswordFile"] = await SecretFileAsync(directory, "nats-password", natsPassword),
            ["Chat__Tls__CertificatePath"] = _certificate.WritePfx(pfxPassword),
            ["Chat__Tls__PasswordFile"] = await SecretFileAsync(directory, "pfx-password", pfxPassword),
            ["Chat__PasswordIterations"] = "10000",
            ["Ingest__Stream"] = "FEEDS_" + tag,
            ["Ingest__Consumer"] = "ingest-" + tag,
            ["Logging__Console__FormatterName"] = formatter,
            ["Logging__LogLevel__Default"] = "Trace",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Trace",
            ["Logging__LogLevel__NATS.Client"] = "Trace",
            ["Logging__LogLevel__Npgsql"] = "Trace",
        };
        await using var serve = new ChatServerProcess(postgres, environment) { Command = "serve", Tls = true };
        await serve.StartAsync();

        // Feeds through NATS with the password from its file, catalogued by ingest in PostgreSQL.
        await using var feeds = new ChatServerProcess(postgres, environment) { Command = "feeds", Arguments = ["--count", "20", "--rate", "0"] };
        Assert.Equal(0, await feeds.RunUntilExitAsync());
        await Eventually.Until(async () => await CountAsync(postgres, pgPassword, "SELECT count(*) FROM sport_event WHERE stream = $1", "FEEDS_" + tag) >= 20,
            TimeSpan.FromSeconds(60), "ingest catalogues the simulated feed");

        // An account over https and wss: sign-up, sign-in, a message, and a password where it does not belong (the URL).
        using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, c, _, _) => c?.Thumbprint == _certificate.Thumbprint })
        {
            BaseAddress = serve.HttpUri,
        };
        var name = "sec" + tag;
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("api/accounts", new { name, password = accountPassword })).StatusCode);
        using var signIn = await http.PostAsJsonAsync("api/sessions", new { name, password = accountPassword });
        Assert.Equal(HttpStatusCode.Created, signIn.StatusCode);
        using var body = JsonDocument.Parse(await signIn.Content.ReadAsStringAsync());
        var token = body.RootElement.GetProperty("token").GetString()!;
        using (var me = new HttpRequestMessage(HttpMethod.Get, $"api/me?password={Uri.EscapeDataString(urlPassword)}"))
        {
            me.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(me)).StatusCode);
        }

        await using (var client = await ChatClient.ConnectAsync(new Uri(serve.BaseUri, $"rooms/sec{tag}?access_token={Uri.EscapeDataString(token)}"),
            certificateCheck: (_, c, _, _) => c?.GetCertHashString() == _certificate.Thumbprint))
        {
            await client.SendAsync(new { message = "secretly", id = "s-1" });
            await client.ReceiveUntilAsync(f => f.IsMessage("s-1"));
        }

        await serve.TerminateAsync();
        var logs = serve.Log + feeds.Log;

        // The scan means something only if the levels took effect and the scenario was logged.
        Assert.Contains("Microsoft.AspNetCore.Hosting", logs, StringComparison.Ordinal);
        Assert.Contains($"{name} signed in", logs, StringComparison.Ordinal);
        Assert.Contains("api/me?password=", logs, StringComparison.Ordinal);
        Assert.Contains("NATS.Client", logs, StringComparison.Ordinal);

        foreach (var secret in (string[])[pgPassword, natsPassword, pfxPassword, accountPassword, urlPassword, token])
        {
            foreach (var form in Encodings(secret))
            {
                if (logs.IndexOf(form, StringComparison.Ordinal) is var at and >= 0)
                {
                    Assert.Fail($"A log holds a secret ('{form}'):\n{Line(logs, at)}");
                }
            }
        }
    }

    public void Dispose() => _certificate.Dispose();

    private static async Task<string> SecretFileAsync(string directory, string name, string secret)
    {
        var path = Path.Combine(directory, name);
        await File.WriteAllTextAsync(path, secret + "\n");
        return path;
    }

    private static async Task<long> CountAsync(string connectionString, string password, string sql, string parameter)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Password = password }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    // A secret as it could be written: as is, URL-encoded either way, JSON-escaped strictly and relaxed, and the part
    // before the tag (the unusual characters) when that is long enough to be telling.
    private static IEnumerable<string> Encodings(string secret) => new[]
    {
        secret,
        Uri.EscapeDataString(secret),
        WebUtility.UrlEncode(secret),
        JsonSerializer.Serialize(secret)[1..^1],
        JsonSerializer.Serialize(secret, new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping })[1..^1],
        secret[(secret.Length / 2)..],
    }.Distinct(StringComparer.Ordinal);

    private static string Line(string log, int at)
    {
        var start = log.LastIndexOf('\n', at) + 1;
        var end = log.IndexOf('\n', at);
        return log[start..(end < 0 ? log.Length : end)];
    }
}
