import type { BookOrder } from '../market/clear.ts';

/** The worked example of docs/ENERGY.md §3. */
export const WORKED_BOOK: BookOrder[] = [
  { id: 'B1', side: 'bid', price: 250_000, volumeWh: 2000, time: 1 },
  { id: 'B2', side: 'bid', price: 220_000, volumeWh: 1500, time: 2 },
  { id: 'B3', side: 'bid', price: 220_000, volumeWh: 1000, time: 1 },
  { id: 'B4', side: 'bid', price: 150_000, volumeWh: 3000, time: 1 },
  { id: 'A1', side: 'ask', price: 80_000, volumeWh: 1200, time: 3 },
  { id: 'A2', side: 'ask', price: 120_000, volumeWh: 2500, time: 1 },
  { id: 'A3', side: 'ask', price: 200_000, volumeWh: 2000, time: 2 },
  { id: 'A4', side: 'ask', price: 230_000, volumeWh: 1000, time: 1 },
];
