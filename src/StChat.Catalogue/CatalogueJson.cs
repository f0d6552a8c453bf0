using System.Buffers;
using System.Text.Json;
using Npgsql;

namespace StChat.Catalogue;

// The JSON of the socket frames and the API: a row is one object whose "type" is its table, with the table's columns
// in snake_case and "seq" for stream_seq; timestamps are UTC ISO-8601.
internal static class CatalogueJson
{
    // Column order of CatalogueReader's row queries.
    public static CatalogueRow ReadRow(NpgsqlDataReader reader)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            var feed = reader.GetString(0);
            var seq = reader.GetInt64(1);
            json.WriteStartObject();
            json.WriteString("type", feed);
            json.WriteNumber("seq", seq);
            if (feed == CatalogueFeeds.SportEvent)
            {
                json.WriteString("sport", reader.GetString(2));
                json.WriteString("match_title", reader.GetString(3));
                json.WriteString("data_event", reader.GetString(4));
            }
            else
            {
                json.WriteString("symbol", reader.GetString(5));
                json.WriteString("market", reader.GetString(6));
                json.WriteNumber("price", reader.GetFloat(7));
                json.WriteNumber("quantity", reader.GetFloat(8));
                json.WriteNumber("execution_epoch", reader.GetInt64(9));
                json.WriteString("state_symbol", reader.GetString(10));
            }

            json.WriteString("published_at", reader.GetFieldValue<DateTime>(11));
            json.WriteString("stored_at", reader.GetFieldValue<DateTime>(12));
            json.WriteEndObject();
            json.Flush();
            return new CatalogueRow(seq, buffer.WrittenSpan.ToArray());
        }
    }

    // {"type":"horizon","seq":N}: every row up to N has been sent; resume with ?after=N.
    public static byte[] Horizon(long seq)
    {
        var buffer = new ArrayBufferWriter<byte>(40);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", "horizon");
            json.WriteNumber("seq", seq);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    // {"feed":F,"horizon":H,"rows":[...]}: one API page, with the rows' bytes as the socket sends them.
    public static byte[] Page(string feed, long horizon, IReadOnlyList<CatalogueRow> rows)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + rows.Sum(r => r.Json.Length + 1));
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("feed", feed);
            json.WriteNumber("horizon", horizon);
            json.WriteStartArray("rows");
            foreach (var row in rows)
            {
                json.WriteRawValue(row.Json, skipInputValidation: true);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
