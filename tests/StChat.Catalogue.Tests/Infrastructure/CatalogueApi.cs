using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace StChat.Catalogue.Tests.Infrastructure;

// What the tests read back: the API over HTTP, and the catalogue tables straight from PostgreSQL.
public sealed class CatalogueApi(CatalogueHost host, string connectionString) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = host.HttpUri, Timeout = TimeSpan.FromSeconds(30) };

    public HttpClient Http => _http;

    public async Task<JsonElement> GetAsync(string path)
    {
        using var response = await _http.GetAsync(path);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public async Task<long> HorizonAsync() => (await GetAsync("api/feeds/stats")).GetProperty("horizon").GetInt64();

    public async Task<DateTimeOffset?> HorizonReadAtAsync() =>
        (await GetAsync("api/feeds/stats")).GetProperty("read_at") is { ValueKind: JsonValueKind.String } at ? at.GetDateTimeOffset() : null;

    // The stream seqs of the stored rows of one table, or of both (null), oldest first.
    public async Task<long[]> StoredSeqsAsync(string? table = null)
    {
        var sql = table is null
            ? "SELECT stream_seq FROM sport_event WHERE stream = $1 UNION ALL SELECT stream_seq FROM execution WHERE stream = $1 ORDER BY 1"
            : $"SELECT stream_seq FROM {table} WHERE stream = $1 ORDER BY 1";
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = CatalogueFixture.Stream } } };
        await using var reader = await command.ExecuteReaderAsync();
        var seqs = new List<long>();
        while (await reader.ReadAsync())
        {
            seqs.Add(reader.GetInt64(0));
        }

        return [.. seqs];
    }

    public void Dispose() => _http.Dispose();
}
