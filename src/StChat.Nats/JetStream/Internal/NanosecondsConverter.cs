using System.Text.Json;
using System.Text.Json.Serialization;

namespace StChat.Nats.JetStream.Internal;

// The JetStream API writes every duration as an int64 count of nanoseconds (Go's time.Duration).
internal sealed class NanosecondsConverter : JsonConverter<TimeSpan>
{
    private const long NanosecondsPerTick = 100;

    // duration = int64 nanoseconds
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        FromNanoseconds(reader.GetInt64());

    // duration = int64 nanoseconds
    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
        writer.WriteNumberValue(ToNanoseconds(value));

    public static long ToNanoseconds(TimeSpan value) => checked(value.Ticks * NanosecondsPerTick);

    public static TimeSpan FromNanoseconds(long nanoseconds) => TimeSpan.FromTicks(nanoseconds / NanosecondsPerTick);
}
