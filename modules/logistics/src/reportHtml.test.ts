import { describe, expect, it } from 'vitest';
import type { ShipmentReport } from './report.ts';
import { escapeHtml, renderReportHtml } from './reportHtml.ts';

const HOUR = 3_600_000;
const T = 1_767_225_600_000;
const id = `0x${'ab'.repeat(32)}`;
const dev = `0x${'cd'.repeat(32)}`;

function report(): ShipmentReport {
  const readings = Array.from({ length: 12 }, (_, i) => ({
    recordId: `0x${i.toString(16).padStart(64, '0')}`,
    deviceId: dev,
    seq: i + 1,
    at: T + i * HOUR,
    receivedAt: T + i * HOUR + 1000,
    tempMc: i === 5 ? 11_000 : 5_000,
    humidityPm: 500,
    lat: 51.9 - i * 0.08,
    lng: 4.5 + i * 0.2,
    shockMg: 300,
    anchored: true,
  }));
  return {
    format: 'groundwork.logistics.report',
    version: 1,
    generatedAt: T + 13 * HOUR,
    shipment: {
      id,
      reference: '<script>alert("x")</script> & co',
      shipper: `0x${'01'.repeat(20)}`,
      status: 'delivered',
      createdAt: T,
      startAt: T,
      deliveredAt: T + 12 * HOUR,
      custodian: `0x${'02'.repeat(20)}`,
      handoffs: 1,
      alerts: 1,
      route: {
        waypoints: [
          { latE7: 519_000_000, lngE7: 45_000_000, name: 'Rotterdam "Maasvlakte"' },
          { latE7: 510_000_000, lngE7: 69_000_000 },
        ],
      },
      rules: [{ kind: 'temperature', minMc: 2_000, maxMc: 8_000, toleranceSeconds: 0 }],
      parties: [{ account: `0x${'02'.repeat(20)}`, role: 'receiver' }],
      trackers: [{ deviceId: dev, fromMs: T, toMs: T + 12 * HOUR }],
    },
    custody: [
      {
        index: 0,
        from: `0x${'01'.repeat(20)}`,
        to: `0x${'02'.repeat(20)}`,
        at: T + 12 * HOUR,
        lat: 51,
        lng: 6.9,
        place: 'dock <4>',
        note: 'ok',
        recordId: id,
        anchored: true,
      },
    ],
    timeline: [{ at: T, type: 'created', text: 'created' }],
    readings,
    temperatureBand: { minMc: 2_000, maxMc: 8_000 },
    alerts: [],
    breaches: [
      {
        ruleIndex: 0,
        kind: 'temperature',
        code: 'TEMPERATURE_HIGH',
        startAt: T + 5 * HOUR,
        lastAt: T + 5 * HOUR,
        endAt: T + 6 * HOUR,
        durationMs: HOUR,
        worst: 11_000,
        trackers: [dev as `0x${string}`],
        readings: [readings[5]!.recordId as `0x${string}`],
        rule: { kind: 'temperature', minMc: 2_000, maxMc: 8_000, toleranceSeconds: 0 },
        alertRecordId: id,
      },
    ],
    stats: {
      readings: 12,
      trackers: 1,
      firstAt: T,
      lastAt: T + 11 * HOUR,
      minTempMc: 5_000,
      maxTempMc: 11_000,
      timeOutOfBandMs: HOUR,
      distanceM: 180_000,
      onTimeShare: 1,
      records: 14,
      anchoredRecords: 14,
    },
    anchors: [],
    integrity: {
      checked: 14,
      anchored: 14,
      failed: [{ recordId: id, type: 'logistics.reading', problems: ['device signature: edited'] }],
      chainChecked: true,
    },
  } as unknown as ShipmentReport;
}

describe('renderReportHtml', () => {
  it('escapes everything a party wrote', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const html = renderReportHtml(report());
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co');
    expect(html).toContain('dock &lt;4&gt;');
    expect(html).toContain('Rotterdam &quot;Maasvlakte&quot;');
  });

  it('draws the path, the band, the excursion and the hand-off, and flags records that do not match their anchor', () => {
    const html = renderReportHtml(report());
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain('max 8.0 °C');
    expect(html).toContain('min 2.0 °C');
    expect(html).toContain('fill="#cf222e" fill-opacity="0.15"'); // the excursion band on the chart
    expect(html).toContain('1 of 14 records do not match what was anchored');
    expect(html).toContain('device signature: edited');
    expect(html).toContain('11.0 °C');
  });
});
